/*
 * report.h - the JSON summary printed at the end of a run (docs/loadgen.md
 * lists every field), and the error tally it includes.
 */
#ifndef CVL_REPORT_H
#define CVL_REPORT_H

#include <jansson.h>

/* Notes the kernel's UDP error counters at the start of the run. */
void cvl_report_start(void);
/* The summary of the run so far; elapsed_s is the measured time,
 * latency_from_s when the latency histograms were last restarted
 * (SIGUSR1; 0 = they cover the whole run). */
json_t *cvl_report_build(double elapsed_s, double latency_from_s);
/* Errors counted by cvl_error, as [{message, count}] in first-seen order. */
json_t *cvl_report_errors(void);

#endif
