/*
 * main.c - cvload: a WebRTC load generator for Convene and Janus VideoRoom.
 *
 *   cvload --target convene|videoroom --url WS_URL
 *          --scenario meeting|broadcast|audio --participants N [--publishers P]
 *          --duration S --ramp R [--video-kbps K] [--fps F] [--simulcast]
 *          [--room ID] [--token T]... [--jwt-secret S] [--admin-key K]
 *          [--ice-ip ADDR] [--per-peer] [-v] [-q]
 *
 * The run: settings -> DTLS certificate, SRTP, timers -> the target's
 * preparation (VideoRoom: create the room) -> peers started at --ramp per
 * second (publishers first) -> --duration seconds after the last one
 * started, the summary is taken (before anybody leaves) and printed as JSON
 * on stdout -> peers leave, the room is destroyed, the process exits.
 * Ctrl-C (SIGINT, SIGTERM) ends the measured time early (the summary is
 * still printed); SIGUSR1 restarts the latency and loop-lag histograms
 * (the end of a warm-up).
 *
 * Exit status: 0 when every peer connected, 1 when some did not, 2 for a
 * usage error, 3 when the run could not start (no room, no certificate).
 * docs/loadgen.md has the details: the scenarios, how timing works, every
 * JSON field.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>
#include <glib-unix.h>
#include <jansson.h>

#include "cvl.h"
#include "dtls.h"
#include "media.h"
#include "pc.h"
#include "peer.h"
#include "report.h"
#include "srtp.h"

cvl_config cvl_cfg;
int cvl_verbosity = 1;

static cvl_peer **cvl_peers;
static GHashTable *cvl_peers_by_user;
static const cvl_sig_ops *cvl_ops;
static GMainLoop *cvl_loop;
static bool cvl_measuring = true;
static int cvl_next_peer;
static int64_t cvl_t_first_start;
static int64_t cvl_t_latency_from;	/* last SIGUSR1, 0 = none */
static guint cvl_ramp_src, cvl_end_src;
static int cvl_exit_status = 0;

void cvl_log(int level, const char *fmt, ...) {
	if(level > cvl_verbosity)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[cvload %7.3f] ", cvl_t_first_start ? (cvl_now_ns() - cvl_t_first_start) / 1e9 : 0.0);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* --- peers ---------------------------------------------------------------------- */

cvl_peer *cvl_peer_get(int index) {
	return cvl_peers[index];
}

int cvl_peer_count(void) {
	return cvl_cfg.peers;
}

cvl_peer *cvl_peer_by_user(const char *user_id) {
	return g_hash_table_lookup(cvl_peers_by_user, user_id);
}

bool cvl_running(void) {
	return cvl_measuring;
}

void cvl_peer_fail(cvl_peer *p, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	cvl_error("%s", why);
	cvl_log(2, "%s failed: %s\n", p->user_id, why);
	if(!p->failed) {
		p->failed = true;
		p->fail_reason = why;
	} else {
		g_free(why);
	}
}

bool cvl_peer_connected(const cvl_peer *p) {
	if(p->failed || p->t_up == 0 || p->pcs->len == 0)
		return false;
	for(guint i = 0; i < p->pcs->len; i++) {
		const cvl_pc *pc = g_ptr_array_index(p->pcs, i);
		if(pc->state != CVL_PC_UP)
			return false;
	}
	return true;
}

/* The label of a PeerConnection of p that is not up yet, or NULL. */
static const char *cvl_peer_pending_pc(const cvl_peer *p, int64_t older_than_ns) {
	for(guint i = 0; i < p->pcs->len; i++) {
		const cvl_pc *pc = g_ptr_array_index(p->pcs, i);
		if(pc->state == CVL_PC_NEW && pc->t_created <= older_than_ns)
			return pc->label;
	}
	return NULL;
}

void cvl_peer_pc_up(cvl_peer *p, struct cvl_pc *pc) {
	p->pcs_up++;
	if(p->t_up == 0) {
		p->t_up = cvl_now_ns();
		cvl_log(2, "%s up after %.1f ms\n", p->user_id, (p->t_up - p->t_start) / 1e6);
	}
}

static void cvl_make_peers(void) {
	char run[9];
	snprintf(run, sizeof(run), "%08x", g_random_int());
	cvl_peers = g_new0(cvl_peer *, cvl_cfg.peers);
	cvl_peers_by_user = g_hash_table_new(g_str_hash, g_str_equal);
	for(int i = 0; i < cvl_cfg.peers; i++) {
		cvl_peer *p = g_new0(cvl_peer, 1);
		p->index = i;
		p->room = i / cvl_cfg.per_room;
		snprintf(p->user_id, sizeof(p->user_id), "%s-%.4s-%d", cvl_cfg.user_prefix, run, i);
		/* publishers first: in a broadcast they are up before the audience */
		p->publishes = i % cvl_cfg.per_room < cvl_cfg.publishers;
		p->pcs = g_ptr_array_new();
		p->recv_from = g_new0(uint32_t, (size_t)cvl_cfg.peers * 2);
		if(p->publishes) {
			p->senders[0] = cvl_sender_new(CVL_KIND_AUDIO, (uint32_t)i, false, p->user_id);
			if(cvl_cfg.video)
				p->senders[1] = cvl_sender_new(CVL_KIND_VIDEO, (uint32_t)i, cvl_cfg.simulcast, p->user_id);
		}
		cvl_peers[i] = p;
		g_hash_table_insert(cvl_peers_by_user, p->user_id, p);
	}
}

/* --- the run --------------------------------------------------------------------- */

static gboolean cvl_quit(gpointer data) {
	g_main_loop_quit(cvl_loop);
	return G_SOURCE_REMOVE;
}

/* The target finished (rooms destroyed): give the peers' last frames
 * (leave, close, the session destroys) a moment to go out, then exit. */
static void cvl_finished(void) {
	g_timeout_add(700, cvl_quit, NULL);
}

static void cvl_end_run(void) {
	if(!cvl_measuring)
		return;
	int64_t now = cvl_now_ns();
	if(cvl_ramp_src) {
		g_source_remove(cvl_ramp_src);
		cvl_ramp_src = 0;
	}
	if(cvl_end_src) {
		g_source_remove(cvl_end_src);
		cvl_end_src = 0;
	}
	/* peers still setting up now have failed */
	for(int i = 0; i < cvl_cfg.peers; i++) {
		cvl_peer *p = cvl_peers[i];
		if(!p->started || p->failed)
			continue;
		const char *pending = cvl_peer_pending_pc(p, now);
		if(p->t_up == 0)
			cvl_peer_fail(p, "not connected when the run ended");
		else if(pending != NULL)
			cvl_peer_fail(p, "%s PeerConnection not up when the run ended", pending);
	}
	cvl_measuring = false;
	json_t *summary = cvl_report_build(cvl_t_first_start ? (now - cvl_t_first_start) / 1e9 : 0,
		cvl_t_latency_from ? (cvl_t_latency_from - cvl_t_first_start) / 1e9 : 0);
	char *text = json_dumps(summary, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	json_t *peers = json_object_get(summary, "peers");
	if(json_integer_value(json_object_get(peers, "connected")) != cvl_cfg.peers)
		cvl_exit_status = 1;
	json_decref(summary);
	cvl_media_stop_sending();
	for(int i = 0; i < cvl_cfg.peers; i++) {
		if(cvl_peers[i]->started)
			cvl_ops->stop(cvl_peers[i]);
	}
	cvl_ops->finish(cvl_finished);
	g_timeout_add(5000, cvl_quit, NULL);	/* the target did not answer */
}

static gboolean cvl_end_timer(gpointer data) {
	cvl_end_src = 0;
	cvl_end_run();
	return G_SOURCE_REMOVE;
}

static gboolean cvl_on_signal(gpointer data) {
	cvl_log(1, "interrupted: ending the run\n");
	if(!cvl_measuring)
		g_main_loop_quit(cvl_loop);
	else
		cvl_end_run();
	return G_SOURCE_CONTINUE;
}

/* SIGUSR1: latencies from now on only (tests/bench sends it when its
 * measurement window starts, after the set-up and a warm-up). */
static gboolean cvl_on_usr1(gpointer data) {
	if(!cvl_measuring || cvl_t_first_start == 0)
		return G_SOURCE_CONTINUE;
	cvl_media_reset_latency();
	cvl_t_latency_from = cvl_now_ns();
	cvl_log(1, "SIGUSR1: latency and loop lag counted from now on\n");
	return G_SOURCE_CONTINUE;
}

static gboolean cvl_watchdog(gpointer data) {
	if(!cvl_measuring)
		return G_SOURCE_REMOVE;
	int64_t now = cvl_now_ns();
	int64_t limit = (int64_t)(cvl_cfg.setup_timeout_s * 1e9);
	int started = 0, up = 0, failed = 0;
	for(int i = 0; i < cvl_cfg.peers; i++) {
		cvl_peer *p = cvl_peers[i];
		if(!p->started)
			continue;
		started++;
		if(!p->failed && p->t_up == 0 && now - p->t_start > limit)
			cvl_peer_fail(p, "no media path within %.0f s", cvl_cfg.setup_timeout_s);
		const char *pending = p->failed ? NULL : cvl_peer_pending_pc(p, now - limit);
		if(pending != NULL)
			cvl_peer_fail(p, "%s PeerConnection not up within %.0f s", pending, cvl_cfg.setup_timeout_s);
		if(p->failed)
			failed++;
		else if(p->t_up != 0)
			up++;
	}
	cvl_log(1, "peers started %d, up %d, failed %d; audio sent %" G_GUINT64_FORMAT " received %" G_GUINT64_FORMAT
		"; video sent %" G_GUINT64_FORMAT " received %" G_GUINT64_FORMAT "\n", started, up, failed,
		cvl_stats.kind[0].sent_packets, cvl_stats.kind[0].recv_packets,
		cvl_stats.kind[1].sent_packets, cvl_stats.kind[1].recv_packets);
	return G_SOURCE_CONTINUE;
}

static void cvl_start_next(void) {
	cvl_peer *p = cvl_peers[cvl_next_peer++];
	p->t_start = cvl_now_ns();
	if(cvl_t_first_start == 0)
		cvl_t_first_start = p->t_start;
	p->started = true;
	cvl_log(2, "starting %s (%s)\n", p->user_id, p->publishes ? "publisher" : "subscriber");
	cvl_ops->start(p);
	if(cvl_next_peer == cvl_cfg.peers) {
		cvl_log(1, "all %d peers started; measuring for %.1f s more\n", cvl_cfg.peers, cvl_cfg.duration_s);
		cvl_end_src = g_timeout_add((guint)(cvl_cfg.duration_s * 1000), cvl_end_timer, NULL);
	}
}

static gboolean cvl_ramp_tick(gpointer data) {
	if(!cvl_measuring || cvl_next_peer >= cvl_cfg.peers) {
		cvl_ramp_src = 0;
		return G_SOURCE_REMOVE;
	}
	/* catch up when the loop was late: start as many as are due */
	int64_t now = cvl_now_ns();
	int64_t due = (int64_t)((now - cvl_t_first_start) / 1e9 * cvl_cfg.ramp) + 1;
	while(cvl_next_peer < cvl_cfg.peers && cvl_next_peer < due)
		cvl_start_next();
	if(cvl_next_peer >= cvl_cfg.peers) {
		cvl_ramp_src = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void cvl_prepared(bool ok) {
	if(!cvl_measuring)
		return;		/* the run was ended (a signal) during the preparation */
	if(!ok) {
		cvl_log(0, "cvload: the run could not start (see the errors)\n");
		json_t *errors = cvl_report_errors();
		json_t *summary = json_pack("{ssssso}", "tool", "cvload", "error", "preparation failed", "errors", errors);
		char *text = json_dumps(summary, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(summary);
		cvl_exit_status = 3;
		cvl_measuring = false;
		/* destroy the rooms that were made before the failure */
		cvl_ops->finish(cvl_finished);
		g_timeout_add(5000, cvl_quit, NULL);
		return;
	}
	cvl_start_next();
	if(cvl_next_peer < cvl_cfg.peers) {
		guint ms = (guint)(1000.0 / cvl_cfg.ramp);
		cvl_ramp_src = g_timeout_add(ms ? ms : 1, cvl_ramp_tick, NULL);
	}
	g_timeout_add(1000, cvl_watchdog, NULL);
}

static gboolean cvl_prepare_idle(gpointer data) {
	cvl_ops->prepare(cvl_prepared);
	return G_SOURCE_REMOVE;
}

/* --- the command line ------------------------------------------------------------ */

static void cvl_usage(FILE *out) {
	fprintf(out,
		"Usage: cvload [options]\n"
		"  --target convene|videoroom   signaling to speak (default convene)\n"
		"  --url WS_URL                 Convene: ws://HOST:8090/ws/webrtc (default $CONVENE_WS_URL);\n"
		"                               VideoRoom: the stock Janus WebSocket API (default $JANUS_WS_URL)\n"
		"  --scenario meeting|broadcast|audio   (default meeting)\n"
		"  --participants N             meeting/audio: peers; broadcast: subscribers (default 3)\n"
		"  --publishers P               meeting/audio: how many of them publish (default all);\n"
		"                               broadcast: publishers added to the N (default 1)\n"
		"  --duration S                 seconds measured after the last peer started (default 10)\n"
		"  --ramp R                     peers started per second (default 10)\n"
		"  --video-kbps K               video bitrate, top layer (default 300)\n"
		"  --fps F                      video frames per second (default 15)\n"
		"  --simulcast                  send video as rid layers h, m, l\n"
		"  --audio-bytes B              Opus payload size (default 80)\n"
		"  --keyframe-interval S        seconds between periodic keyframes (default 2, 0 = on request only)\n"
		"  --setup-timeout S            a peer without a media path after S seconds fails (default 20)\n"
		"  --room ID                    room id (default: a new random one; VideoRoom: numeric)\n"
		"  --rooms K                    run the scenario K times side by side, one room each\n"
		"                               (rooms ID-0..ID-K-1; VideoRoom: ID..ID+K-1)\n"
		"  --token T                    Convene access token (repeatable: peer i uses token i %% count)\n"
		"  --jwt-secret S               Convene: mint a token per peer with this HS256 secret\n"
		"  --admin-key K                VideoRoom: admin_key for creating the room\n"
		"  --ice-ip ADDR                gather ICE host candidates on this local address only\n"
		"  --user-prefix P              user ids are P-RUN-INDEX (default cvl)\n"
		"  --per-peer                   add per-peer detail to the summary\n"
		"  --glare                      Convene test knob: each peer answers the server's first offer\n"
		"                               only after sending an offer of its own (crossed offers);\n"
		"                               receive-only peers wait for the server to offer first\n"
		"  --offer-delay MS             Convene test knob: receive-only peers offer MS ms after joined\n"
		"  -v, --verbose                more logging on stderr (repeat for more); -q, --quiet: errors only\n"
		"  -h, --help\n"
		"Prints a JSON summary on stdout (docs/loadgen.md). Exit status: 0 all peers connected,\n"
		"1 some did not, 2 usage error, 3 the run could not start.\n");
}

static bool cvl_parse_double(const char *s, double min, double max, double *out) {
	char *end = NULL;
	double v = g_ascii_strtod(s, &end);
	if(end == s || *end != '\0' || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

static bool cvl_parse_int(const char *s, int min, int max, int *out) {
	double v;
	if(!cvl_parse_double(s, min, max, &v) || v != (int)v)
		return false;
	*out = (int)v;
	return true;
}

static int cvl_parse_args(int argc, char **argv) {
	enum {
		O_TARGET = 256, O_URL, O_SCENARIO, O_PARTICIPANTS, O_PUBLISHERS, O_DURATION, O_RAMP,
		O_KBPS, O_FPS, O_SIMULCAST, O_AUDIO_BYTES, O_KEYINT, O_SETUP, O_ROOM, O_TOKEN,
		O_JWT, O_ADMIN, O_ICE_IP, O_PREFIX, O_PER_PEER, O_ROOMS, O_GLARE, O_OFFER_DELAY,
	};
	static const struct option opts[] = {
		{ "target", required_argument, NULL, O_TARGET },
		{ "url", required_argument, NULL, O_URL },
		{ "scenario", required_argument, NULL, O_SCENARIO },
		{ "participants", required_argument, NULL, O_PARTICIPANTS },
		{ "publishers", required_argument, NULL, O_PUBLISHERS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "ramp", required_argument, NULL, O_RAMP },
		{ "video-kbps", required_argument, NULL, O_KBPS },
		{ "fps", required_argument, NULL, O_FPS },
		{ "simulcast", no_argument, NULL, O_SIMULCAST },
		{ "audio-bytes", required_argument, NULL, O_AUDIO_BYTES },
		{ "keyframe-interval", required_argument, NULL, O_KEYINT },
		{ "setup-timeout", required_argument, NULL, O_SETUP },
		{ "room", required_argument, NULL, O_ROOM },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "jwt-secret", required_argument, NULL, O_JWT },
		{ "admin-key", required_argument, NULL, O_ADMIN },
		{ "ice-ip", required_argument, NULL, O_ICE_IP },
		{ "user-prefix", required_argument, NULL, O_PREFIX },
		{ "per-peer", no_argument, NULL, O_PER_PEER },
		{ "rooms", required_argument, NULL, O_ROOMS },
		{ "glare", no_argument, NULL, O_GLARE },
		{ "offer-delay", required_argument, NULL, O_OFFER_DELAY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cvl_config *c = &cvl_cfg;
	c->target = CVL_TARGET_CONVENE;
	c->scenario = CVL_SCENARIO_MEETING;
	c->participants = 3;
	c->publishers = -1;
	c->duration_s = 10;
	c->ramp = 10;
	c->video_kbps = 300;
	c->fps = 15;
	c->audio_bytes = 80;
	c->keyframe_interval_s = 2;
	c->setup_timeout_s = 20;
	c->user_prefix = "cvl";
	c->rooms = 1;
	GPtrArray *tokens = g_ptr_array_new();
	int opt;
	bool ok = true;
	while(ok && (opt = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch(opt) {
			case O_TARGET:
				if(strcmp(optarg, "convene") == 0)
					c->target = CVL_TARGET_CONVENE;
				else if(strcmp(optarg, "videoroom") == 0)
					c->target = CVL_TARGET_VIDEOROOM;
				else
					ok = false;
				break;
			case O_URL: c->url = optarg; break;
			case O_SCENARIO:
				if(strcmp(optarg, "meeting") == 0)
					c->scenario = CVL_SCENARIO_MEETING;
				else if(strcmp(optarg, "broadcast") == 0)
					c->scenario = CVL_SCENARIO_BROADCAST;
				else if(strcmp(optarg, "audio") == 0)
					c->scenario = CVL_SCENARIO_AUDIO;
				else
					ok = false;
				break;
			case O_PARTICIPANTS: ok = cvl_parse_int(optarg, 1, 100000, &c->participants); break;
			case O_PUBLISHERS: ok = cvl_parse_int(optarg, 0, 100000, &c->publishers); break;
			case O_DURATION: ok = cvl_parse_double(optarg, 0, 1e6, &c->duration_s); break;
			case O_RAMP: ok = cvl_parse_double(optarg, 0.01, 10000, &c->ramp); break;
			case O_KBPS: ok = cvl_parse_int(optarg, 10, 100000, &c->video_kbps); break;
			case O_FPS: ok = cvl_parse_int(optarg, 1, 120, &c->fps); break;
			case O_SIMULCAST: c->simulcast = true; break;
			case O_AUDIO_BYTES: ok = cvl_parse_int(optarg, 25, 1000, &c->audio_bytes); break;
			case O_KEYINT: ok = cvl_parse_double(optarg, 0, 3600, &c->keyframe_interval_s); break;
			case O_SETUP: ok = cvl_parse_double(optarg, 1, 3600, &c->setup_timeout_s); break;
			case O_ROOM: c->room = g_strdup(optarg); break;
			case O_TOKEN: g_ptr_array_add(tokens, optarg); break;
			case O_JWT: c->jwt_secret = optarg; break;
			case O_ADMIN: c->admin_key = optarg; break;
			case O_ICE_IP: c->ice_ip = optarg; break;
			case O_PREFIX: c->user_prefix = optarg; break;
			case O_PER_PEER: c->per_peer = true; break;
			case O_ROOMS: ok = cvl_parse_int(optarg, 1, 10000, &c->rooms); break;
			case O_GLARE: c->glare = true; break;
			case O_OFFER_DELAY: ok = cvl_parse_int(optarg, 0, 60000, &c->offer_delay_ms); break;
			case 'v': cvl_verbosity++; break;
			case 'q': cvl_verbosity = 0; break;
			case 'h': cvl_usage(stdout); exit(0);
			default: ok = false; break;
		}
		if(!ok && opt >= O_TARGET)
			fprintf(stderr, "cvload: bad value for --%s: %s\n", opts[opt - O_TARGET].name, optarg);
	}
	if(!ok || optind < argc) {
		cvl_usage(stderr);
		return 2;
	}
	c->n_tokens = (int)tokens->len;
	c->tokens = (char **)g_ptr_array_free(tokens, FALSE);
	if(c->url == NULL)
		c->url = getenv(c->target == CVL_TARGET_CONVENE ? "CONVENE_WS_URL" : "JANUS_WS_URL");
	if(c->url == NULL) {
		fprintf(stderr, "cvload: --url is needed\n");
		return 2;
	}
	c->video = c->scenario != CVL_SCENARIO_AUDIO;
	if(c->scenario == CVL_SCENARIO_BROADCAST) {
		if(c->publishers < 0)
			c->publishers = 1;
		c->per_room = c->participants + c->publishers;
	} else {
		if(c->publishers < 0 || c->publishers > c->participants)
			c->publishers = c->participants;
		c->per_room = c->participants;
	}
	c->peers = c->per_room * c->rooms;
	if(c->peers > 100000) {
		fprintf(stderr, "cvload: too many peers (%d)\n", c->peers);
		return 2;
	}
	/* room ids: Convene takes any string, VideoRoom wants numbers */
	c->room_ids = g_new0(char *, c->rooms);
	if(c->target == CVL_TARGET_VIDEOROOM) {
		guint64 base = 100000 + (g_random_int() % 900000000u);
		if(c->room != NULL) {
			char *end = NULL;
			base = g_ascii_strtoull(c->room, &end, 10);
			if(end == c->room || *end != '\0' || base == 0) {
				fprintf(stderr, "cvload: VideoRoom needs a numeric --room (got %s)\n", c->room);
				return 2;
			}
		}
		for(int i = 0; i < c->rooms; i++)
			c->room_ids[i] = g_strdup_printf("%" G_GUINT64_FORMAT, base + (guint64)i);
	} else {
		char *base = c->room != NULL ? g_strdup(c->room) : g_strdup_printf("cvload-%08x", g_random_int());
		for(int i = 0; i < c->rooms; i++)
			c->room_ids[i] = c->rooms == 1 ? g_strdup(base) : g_strdup_printf("%s-%d", base, i);
		g_free(base);
	}
	return 0;
}

/* Each peer holds a TCP socket and one or two UDP sockets: raise the
 * descriptor limit to what we may. */
static void cvl_raise_fd_limit(void) {
	struct rlimit rl;
	if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)cvl_cfg.peers * 3 + 64)
		cvl_log(0, "cvload: warning: %llu file descriptors for %d peers may not be enough (ulimit -n)\n",
			(unsigned long long)rl.rlim_cur, cvl_cfg.peers);
}

int main(int argc, char **argv) {
	int rc = cvl_parse_args(argc, argv);
	if(rc != 0)
		return rc;
	cvl_raise_fd_limit();
	if(!cvl_dtls_global_init() || !cvl_srtp_global_init()) {
		fprintf(stderr, "cvload: DTLS/SRTP initialisation failed\n");
		return 3;
	}
	cvl_ops = cvl_cfg.target == CVL_TARGET_CONVENE ? &cvl_sig_convene : &cvl_sig_videoroom;
	cvl_loop = g_main_loop_new(NULL, FALSE);
	cvl_pc_global_init();
	cvl_media_global_init();
	cvl_make_peers();
	cvl_report_start();
	g_unix_signal_add(SIGINT, cvl_on_signal, NULL);
	g_unix_signal_add(SIGTERM, cvl_on_signal, NULL);
	g_unix_signal_add(SIGUSR1, cvl_on_usr1, NULL);
	cvl_log(1, "%s %s: %d peers in %d room(s) (%d publishing per room), ramp %.1f/s, then %.1f s, room %s%s\n",
		cvl_cfg.target == CVL_TARGET_CONVENE ? "convene" : "videoroom", cvl_cfg.url, cvl_cfg.peers, cvl_cfg.rooms,
		cvl_cfg.publishers, cvl_cfg.ramp, cvl_cfg.duration_s, cvl_cfg.room_ids[0], cvl_cfg.rooms > 1 ? "..." : "");
	g_idle_add(cvl_prepare_idle, NULL);
	g_main_loop_run(cvl_loop);
	return cvl_exit_status;
}
