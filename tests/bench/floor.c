/*
 * floor.c: the per-packet floor of an SFU on this machine.
 *
 * Whatever an SFU does, every RTP packet it forwards must at least be
 * encrypted for its subscriber and handed to the kernel once. This program
 * measures exactly that and nothing else, so that an SFU's measured CPU per
 * forwarded packet (tests/bench/sfu_cpu.py) can be quoted as a multiple of it
 * (tests/bench/floor_ratio.py):
 *
 *   protect  build a 1200-byte RTP packet (12-byte header with the next
 *            sequence number and timestamp + a 1188-byte payload copied in,
 *            as Janus copies each outgoing packet into its own buffer) and
 *            srtp_protect() it with libsrtp2, AES_CM_128_HMAC_SHA1_80 (the
 *            profile Janus negotiates by default; Janus links the same
 *            Debian libsrtp2). Output: 1210 bytes.
 *   sendmsg  one sendmsg() of a 1210-byte datagram on an unconnected UDP
 *            socket with the destination in msg_name (what libnice does),
 *            to a UDP socket on 127.0.0.1 in the same process.
 *   both     protect then sendmsg: the floor.
 *
 * The receiving socket is non-blocking and drained by the same thread with
 * recvmmsg() every DRAIN_BATCH packets, so the kernel really queues every
 * datagram to a socket (no ICMP port-unreachable short cut) and nobody
 * sleeps (no wake-up cost). The drain is timed separately and subtracted:
 * it is the receiver's work, reported on its own as "drain".
 *
 * Each run sends --packets packets (default 200000) per mode; the modes are
 * interleaved run by run (--runs, default 5) after a warm-up run, so that
 * noise from other processes on a shared machine spreads over all of them.
 * Per run: wall time (CLOCK_MONOTONIC) and CPU time of the process
 * (getrusage: user + system), both minus the drain; per mode the median over
 * runs in ns per packet. Prints a readable summary (lines starting with "#")
 * and then one JSON object on the last line (or into --json FILE).
 *
 * --bytes N changes the RTP packet's size (default 1200, the issue's
 * definition; tests/bench/floor_ratio.py also runs it at the mean size of
 * the packets the SFU benchmark forwards).
 *
 * Build and run: tests/bench/floor [--runs N] [--packets N] [--bytes N] [--json FILE]
 * (the script compiles this file with the project's warning flags).
 * Traffic: 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#define RTP_BYTES_DEFAULT 1200
#define RTP_BYTES_MAX 1400
#define RTP_HEADER 12
#define SRTP_TAG 10
#define MAX_RUNS 64
#define DRAIN_BATCH 32

enum { MODE_PROTECT, MODE_SENDMSG, MODE_BOTH, MODE_COUNT };
static const char *mode_names[MODE_COUNT] = { "protect", "sendmsg", "protect_sendmsg" };

/* The benchmark's state: one outbound SRTP session, the two sockets. */
typedef struct floor_bench {
	srtp_t srtp;
	uint16_t seq;
	uint32_t ts;
	int rtp_bytes;	/* the RTP packet's size, header included */
	unsigned char payload[RTP_BYTES_MAX - RTP_HEADER];
	unsigned char pkt[RTP_BYTES_MAX + SRTP_TAG + 16];	/* + room for the tag */
	int tx, rx;
	struct sockaddr_in dest;
	/* drain buffers */
	unsigned char rxbuf[DRAIN_BATCH][1500];
	struct iovec rxiov[DRAIN_BATCH];
	struct mmsghdr rxmsg[DRAIN_BATCH];
	uint64_t received;
} floor_bench;

/* One run of one mode, all in nanoseconds per packet. */
typedef struct floor_sample {
	double wall_ns, cpu_ns, drain_wall_ns, drain_cpu_ns;
} floor_sample;

static void die(const char *what) {
	perror(what);
	exit(1);
}

static uint64_t mono_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t thread_cpu_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Process CPU time (user + system) from getrusage. */
static uint64_t rusage_ns(void) {
	struct rusage ru;
	if(getrusage(RUSAGE_SELF, &ru) != 0)
		die("getrusage");
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
		((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static void floor_srtp_init(floor_bench *b) {
	if(srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "srtp_init failed\n");
		exit(1);
	}
	unsigned char key[SRTP_MASTER_KEY_LEN];	/* 30: 16-byte key + 14-byte salt */
	for(size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(rand() & 0xff);
	srtp_policy_t policy;
	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	policy.ssrc.type = ssrc_any_outbound;
	policy.key = key;
	policy.window_size = 128;
	policy.allow_repeat_tx = 0;
	policy.next = NULL;
	if(srtp_create(&b->srtp, &policy) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_create failed\n");
		exit(1);
	}
	for(size_t i = 0; i < sizeof(b->payload); i++)
		b->payload[i] = (unsigned char)(i * 31 + 7);
	b->seq = (uint16_t)(rand() & 0xffff);
	b->ts = (uint32_t)rand();
}

static void floor_sockets_init(floor_bench *b) {
	b->rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	b->tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if(b->rx < 0 || b->tx < 0)
		die("socket");
	int size = 4 * 1024 * 1024;
	setsockopt(b->rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));	/* best effort */
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if(bind(b->rx, (struct sockaddr *)&a, sizeof(a)) != 0 || bind(b->tx, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("bind");
	socklen_t len = sizeof(b->dest);
	if(getsockname(b->rx, (struct sockaddr *)&b->dest, &len) != 0)
		die("getsockname");
	for(int i = 0; i < DRAIN_BATCH; i++) {
		b->rxiov[i].iov_base = b->rxbuf[i];
		b->rxiov[i].iov_len = sizeof(b->rxbuf[i]);
		memset(&b->rxmsg[i], 0, sizeof(b->rxmsg[i]));
		b->rxmsg[i].msg_hdr.msg_iov = &b->rxiov[i];
		b->rxmsg[i].msg_hdr.msg_iovlen = 1;
	}
}

/* Builds the next RTP packet in b->pkt: PT 96, marker clear, SSRC fixed. */
static void floor_build(floor_bench *b) {
	unsigned char *p = b->pkt;
	b->seq++;
	b->ts += 3000;
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (unsigned char)(b->seq >> 8);
	p[3] = (unsigned char)b->seq;
	p[4] = (unsigned char)(b->ts >> 24);
	p[5] = (unsigned char)(b->ts >> 16);
	p[6] = (unsigned char)(b->ts >> 8);
	p[7] = (unsigned char)b->ts;
	p[8] = 0x12; p[9] = 0x34; p[10] = 0x56; p[11] = 0x78;
	memcpy(p + RTP_HEADER, b->payload, (size_t)(b->rtp_bytes - RTP_HEADER));
}

static int floor_protect(floor_bench *b) {
	int len = b->rtp_bytes;
	srtp_err_status_t st = srtp_protect(b->srtp, b->pkt, &len);
	if(st != srtp_err_status_ok || len != b->rtp_bytes + SRTP_TAG) {
		fprintf(stderr, "srtp_protect: status %d, length %d\n", (int)st, len);
		exit(1);
	}
	return len;
}

static void floor_send(floor_bench *b, size_t len) {
	struct iovec iov = { .iov_base = b->pkt, .iov_len = len };
	struct msghdr msg;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &b->dest;
	msg.msg_namelen = sizeof(b->dest);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	for(;;) {
		ssize_t n = sendmsg(b->tx, &msg, 0);
		if(n == (ssize_t)len)
			return;
		if(n < 0 && errno == EINTR)
			continue;
		die("sendmsg");
	}
}

/* Reads everything queued on the receiving socket. */
static void floor_drain(floor_bench *b) {
	for(;;) {
		int n = recvmmsg(b->rx, b->rxmsg, DRAIN_BATCH, MSG_DONTWAIT, NULL);
		if(n > 0) {
			b->received += (uint64_t)n;
			continue;
		}
		if(n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			die("recvmmsg");
		return;
	}
}

/* One run of one mode over `packets` packets. */
static floor_sample floor_run(floor_bench *b, int mode, long packets) {
	uint64_t drain_wall = 0, drain_cpu = 0;
	if(mode == MODE_SENDMSG) {	/* one realistic 1210-byte datagram, sent again and again */
		floor_build(b);
		floor_protect(b);
	}
	uint64_t r0 = rusage_ns(), w0 = mono_ns();
	for(long i = 0; i < packets; i++) {
		size_t len = (size_t)(b->rtp_bytes + SRTP_TAG);
		if(mode != MODE_SENDMSG) {
			floor_build(b);
			floor_protect(b);
		}
		if(mode != MODE_PROTECT) {
			floor_send(b, len);
			if((i + 1) % DRAIN_BATCH == 0 || i + 1 == packets) {
				uint64_t dw = mono_ns(), dc = thread_cpu_ns();
				floor_drain(b);
				drain_cpu += thread_cpu_ns() - dc;
				drain_wall += mono_ns() - dw;
			}
		}
	}
	uint64_t w1 = mono_ns(), r1 = rusage_ns();
	floor_sample s;
	s.wall_ns = (double)(w1 - w0 - drain_wall) / (double)packets;
	s.cpu_ns = ((double)(r1 - r0) - (double)drain_cpu) / (double)packets;
	s.drain_wall_ns = (double)drain_wall / (double)packets;
	s.drain_cpu_ns = (double)drain_cpu / (double)packets;
	return s;
}

static int cmp_double(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n) {
	double tmp[MAX_RUNS];
	memcpy(tmp, v, sizeof(double) * (size_t)n);
	qsort(tmp, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static void json_array(FILE *f, const double *v, int n) {
	fputc('[', f);
	for(int i = 0; i < n; i++)
		fprintf(f, "%s%.1f", i ? ", " : "", v[i]);
	fputc(']', f);
}

static void usage(const char *argv0) {
	fprintf(stderr, "usage: %s [--runs N (1-%d)] [--packets N] [--bytes N (%d-%d)] [--json FILE]\n",
		argv0, MAX_RUNS, RTP_HEADER + 1, RTP_BYTES_MAX);
	exit(2);
}

int main(int argc, char **argv) {
	int runs = 5;
	long packets = 200000;
	int bytes = RTP_BYTES_DEFAULT;
	const char *json_path = NULL;
	for(int i = 1; i < argc; i++) {
		if(!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if(!strcmp(argv[i], "--packets") && i + 1 < argc)
			packets = atol(argv[++i]);
		else if(!strcmp(argv[i], "--bytes") && i + 1 < argc)
			bytes = atoi(argv[++i]);
		else if(!strcmp(argv[i], "--json") && i + 1 < argc)
			json_path = argv[++i];
		else
			usage(argv[0]);
	}
	if(runs < 1 || runs > MAX_RUNS || packets < DRAIN_BATCH || bytes <= RTP_HEADER || bytes > RTP_BYTES_MAX)
		usage(argv[0]);

	static floor_bench b;
	b.rtp_bytes = bytes;
	srand((unsigned)time(NULL));
	floor_srtp_init(&b);
	floor_sockets_init(&b);

	/* warm-up: caches, the socket's buffers, CPU frequency */
	for(int m = 0; m < MODE_COUNT; m++)
		floor_run(&b, m, packets / 4);

	double wall[MODE_COUNT][MAX_RUNS], cpu[MODE_COUNT][MAX_RUNS];
	double dwall[MODE_COUNT][MAX_RUNS], dcpu[MODE_COUNT][MAX_RUNS];
	uint64_t sent_before = b.received;
	for(int r = 0; r < runs; r++) {
		for(int k = 0; k < MODE_COUNT; k++) {
			int m = (k + r) % MODE_COUNT;	/* rotate the order run by run */
			floor_sample s = floor_run(&b, m, packets);
			wall[m][r] = s.wall_ns;
			cpu[m][r] = s.cpu_ns;
			dwall[m][r] = s.drain_wall_ns;
			dcpu[m][r] = s.drain_cpu_ns;
		}
	}
	uint64_t expected = (uint64_t)runs * (uint64_t)packets * 2;	/* sendmsg + both */
	uint64_t got = b.received - sent_before;

	double mw[MODE_COUNT], mc[MODE_COUNT];
	for(int m = 0; m < MODE_COUNT; m++) {
		mw[m] = median(wall[m], runs);
		mc[m] = median(cpu[m], runs);
	}
	double drain_cpu = median(dcpu[MODE_BOTH], runs);

	printf("# floor: %d runs x %ld packets, %d-byte RTP -> %d-byte SRTP (AES_CM_128_HMAC_SHA1_80, %s), "
		"loopback UDP, %llu/%llu datagrams received\n",
		runs, packets, bytes, bytes + SRTP_TAG, srtp_get_version_string(),
		(unsigned long long)got, (unsigned long long)expected);
	printf("# median per packet:  protect %.0f ns (cpu %.0f)  |  sendmsg %.0f ns (cpu %.0f)  |  "
		"protect+sendmsg %.0f ns (cpu %.0f)  |  receiver's drain %.0f ns cpu, not counted\n",
		mw[MODE_PROTECT], mc[MODE_PROTECT], mw[MODE_SENDMSG], mc[MODE_SENDMSG],
		mw[MODE_BOTH], mc[MODE_BOTH], drain_cpu);
	printf("# floor = %.2f us of CPU per forwarded packet\n", mc[MODE_BOTH] / 1000.0);

	FILE *out = stdout;
	if(json_path != NULL && (out = fopen(json_path, "w")) == NULL)
		die(json_path);
	fprintf(out, "{\"bench\": \"floor\", \"srtp_profile\": \"AES_CM_128_HMAC_SHA1_80\", \"libsrtp\": \"%s\", "
		"\"rtp_bytes\": %d, \"srtp_bytes\": %d, \"packets_per_run\": %ld, \"runs\": %d, "
		"\"datagrams_sent\": %llu, \"datagrams_received\": %llu, \"drain_batch\": %d",
		srtp_get_version_string(), bytes, bytes + SRTP_TAG, packets, runs,
		(unsigned long long)expected, (unsigned long long)got, DRAIN_BATCH);
	for(int m = 0; m < MODE_COUNT; m++) {
		fprintf(out, ", \"%s\": {\"wall_ns_median\": %.1f, \"cpu_ns_median\": %.1f, \"wall_ns_runs\": ",
			mode_names[m], mw[m], mc[m]);
		json_array(out, wall[m], runs);
		fprintf(out, ", \"cpu_ns_runs\": ");
		json_array(out, cpu[m], runs);
		if(m != MODE_PROTECT)
			fprintf(out, ", \"drain_cpu_ns_median\": %.1f, \"drain_wall_ns_median\": %.1f",
				median(dcpu[m], runs), median(dwall[m], runs));
		fputc('}', out);
	}
	fprintf(out, ", \"floor_cpu_ns\": %.1f}\n", mc[MODE_BOTH]);
	if(out != stdout)
		fclose(out);
	srtp_dealloc(b.srtp);
	srtp_shutdown();
	return got == expected ? 0 : 1;
}
