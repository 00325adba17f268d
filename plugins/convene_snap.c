/*
 * convene_snap.c - immutable, refcounted snapshots (see convene_snap.h).
 */
#include "convene_snap.h"

static void convene_snap_free(const janus_refcount *ref) {
	convene_snap *snap = janus_refcount_containerof(ref, convene_snap, ref);
	for(guint i = 0; i < snap->len; i++) {
		if(snap->items[i] != NULL && snap->release != NULL)
			snap->release(snap->items[i]);
	}
	g_free(snap);
}

convene_snap *convene_snap_new(guint len, GDestroyNotify release) {
	convene_snap *snap = g_malloc0(sizeof(convene_snap) + len * sizeof(gpointer));
	snap->len = len;
	snap->release = release;
	janus_refcount_init(&snap->ref, convene_snap_free);
	return snap;
}

void convene_snap_unref(convene_snap *snap) {
	if(snap != NULL)
		janus_refcount_decrease(&snap->ref);
}

void convene_snap_cell_init(convene_snap_cell *cell) {
	janus_mutex_init(&cell->mutex);
	cell->snap = NULL;
	g_atomic_int_set(&cell->generation, 1);
}

void convene_snap_cell_clear(convene_snap_cell *cell) {
	convene_snap_cell_set(cell, NULL);
}

void convene_snap_cell_set(convene_snap_cell *cell, convene_snap *snap) {
	janus_mutex_lock(&cell->mutex);
	convene_snap *old = cell->snap;
	cell->snap = snap;
	g_atomic_int_inc(&cell->generation);
	janus_mutex_unlock(&cell->mutex);
	convene_snap_unref(old);
}

convene_snap *convene_snap_cell_get(convene_snap_cell *cell) {
	janus_mutex_lock(&cell->mutex);
	convene_snap *snap = cell->snap;
	if(snap != NULL)
		janus_refcount_increase(&snap->ref);
	janus_mutex_unlock(&cell->mutex);
	return snap;
}

convene_snap *convene_snap_read(convene_snap_reader *reader, convene_snap_cell *cell) {
	gint generation = g_atomic_int_get(&cell->generation);
	if(generation != reader->generation) {
		convene_snap *old = reader->snap;
		janus_mutex_lock(&cell->mutex);
		reader->snap = cell->snap;
		if(reader->snap != NULL)
			janus_refcount_increase(&reader->snap->ref);
		reader->generation = g_atomic_int_get(&cell->generation);
		janus_mutex_unlock(&cell->mutex);
		convene_snap_unref(old);
	}
	return reader->snap;
}

void convene_snap_reader_clear(convene_snap_reader *reader) {
	convene_snap_unref(reader->snap);
	reader->snap = NULL;
	reader->generation = 0;
}
