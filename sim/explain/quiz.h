/* sim/explain/quiz.h - `powercut quiz`: a generated write-ordering exercise
 * in the spirit of the OSTEP homework simulators, solved by the crash-state
 * enumeration of `run --crash-states exhaustive` (sim/crash/states.c).
 *
 * The situation: one jbd2 transaction T7 of an fsync in data=ordered - its
 * new data block D, two journal body blocks J1 J2 and the commit block C -
 * plus a checkpoint write H of an older transaction T6 (still in the
 * journal, so replay rewrites it anyway) and sometimes a second write H2 of
 * the same block and an unrelated flush, on a drive with a volatile write
 * cache and native FUA; then a power cut. jbd2 submits C only once D, J1
 * and J2 have completed; with barriers C carries PREFLUSH+FUA: the block
 * layer issues a flush first and sends C (FUA) when the flush completes.
 */
#pragma once
#include "../crash/states.h"

enum { SIM_QUIZ_D, SIM_QUIZ_J1, SIM_QUIZ_J2, SIM_QUIZ_C, SIM_QUIZ_H, SIM_QUIZ_H2, SIM_QUIZ_NW };

typedef struct {
    const char *name;            /* "D", "J1", ... */
    guint64  block;
    SimToken tok;                /* its content (unique per write) */
    gboolean present;            /* part of this quiz */
    gboolean fua;
    SimTime  t_sub, t_done;      /* at the drive; -1: not sent / not completed before the cut */
} SimQuizWrite;

typedef struct {
    SimTime  t_sub, t_done;      /* t_done -1: still running at the cut */
    gboolean preflush;           /* the PREFLUSH of C (else an fsync's flush from another thread) */
} SimQuizFlush;

typedef struct {
    guint64      seed;
    gboolean     barrier;
    SimQuizWrite w[SIM_QUIZ_NW];
    SimQuizFlush f[2];
    guint        nf;
    SimTime      cut;
    SimTime      fsync_done;     /* fsync returned (C completed), or -1 if not before the cut */
} SimQuiz;

typedef struct {
    char       fate[SIM_QUIZ_NW];   /* 'F' durable (forced), 'M' may be lost, 'N' never reached the drive,
                                     * 'S' superseded by H2 (only H2's fate matters for the block); 0 absent */
    char       why[SIM_QUIZ_NW];    /* sim_pend_track_why for F and M */
    guint      nfree, nforced;
    guint64    states, counts[SIM_OUT_N];
    gboolean   c_without_j2;        /* some state has C durable and J2 not */
    gboolean   have_witness;
    guint32    witness;             /* bit i: write i durable in a smallest corrupt state */
    SimOutcome witness_outcome;
    char      *witness_reason;
} SimQuizAnswer;

/* The situation of a seed (deterministic). */
void sim_quiz_generate(guint64 seed, SimQuiz *q);
/* Solve it through the tracker and the crash-state enumerator. */
void sim_quiz_solve(const SimQuiz *q, SimQuizAnswer *a);
void sim_quiz_answer_clear(SimQuizAnswer *a);
/* The exercise as text; with a, the answers and their reasoning. */
void sim_quiz_text(const SimQuiz *q, const SimQuizAnswer *a, GString *out);

/* `powercut quiz [--seed S] [--solve]` (argv[0] is "quiz"). */
int powercut_cmd_quiz(int argc, char **argv);
