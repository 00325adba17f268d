/*
 * convene_snap.h - immutable, refcounted snapshots for the media paths.
 *
 * The forwarding hot path must not take a global lock, nor wait on the
 * handler thread. What it reads (a publisher stream's subscribers, a
 * session's published streams) lives in snapshots: arrays that are never
 * modified once published. Writers (the handler thread) build a new array
 * and swap it in; readers keep using the one they hold.
 *
 * A snapshot cell holds the current snapshot and a generation counter. A
 * reader that is always the same thread (a publisher's RTP thread) keeps a
 * convene_snap_reader: on each packet it compares one atomic integer, and
 * only when the generation moved does it take the cell's lock (a lock of
 * that one cell, held for a pointer swap) to pick up the new snapshot.
 * Other readers take a reference under the cell's lock.
 */
#ifndef CONVENE_SNAP_H
#define CONVENE_SNAP_H

#include <glib.h>

#include <mutex.h>
#include <refcount.h>

typedef struct convene_snap {
	janus_refcount ref;
	GDestroyNotify release;	/* drops one item's reference; NULL items are skipped */
	guint len;
	gpointer items[];
} convene_snap;

typedef struct convene_snap_cell {
	janus_mutex mutex;
	convene_snap *snap;		/* may be NULL: empty */
	volatile gint generation;
} convene_snap_cell;

typedef struct convene_snap_reader {
	convene_snap *snap;		/* a reference, owned by the reading thread */
	gint generation;
} convene_snap_reader;

/* A snapshot of len NULL items; the caller fills them, each with a
 * reference that release drops. */
convene_snap *convene_snap_new(guint len, GDestroyNotify release);
void convene_snap_unref(convene_snap *snap);

void convene_snap_cell_init(convene_snap_cell *cell);
/* Drops the current snapshot (at destruction time). */
void convene_snap_cell_clear(convene_snap_cell *cell);
/* Publishes snap (stealing the caller's reference; NULL = empty). Any thread. */
void convene_snap_cell_set(convene_snap_cell *cell, convene_snap *snap);
/* The current snapshot with a reference (NULL when empty). Any thread. */
convene_snap *convene_snap_cell_get(convene_snap_cell *cell);

/* The current snapshot for a single-thread reader, without a reference: it
 * stays valid until this reader's next call or convene_snap_reader_clear.
 * Lock-free unless the cell changed. */
convene_snap *convene_snap_read(convene_snap_reader *reader, convene_snap_cell *cell);
void convene_snap_reader_clear(convene_snap_reader *reader);

#endif
