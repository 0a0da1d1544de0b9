/*
 * core/cells.h - the engine's result cells: where a one-op hoop_engine_submit
 * that completed inline (engine_inline.c) leaves its result for
 * hoop_engine_wait, without a slot from the shared table. Never installed.
 *
 * A thread picks a cell by its stack address (as the counter stripes do), so
 * a thread that submits one read and waits for it finds its own cell free
 * every time, and the whole round trip touches that one cache line: one
 * compare-and-swap to take it (which also counts the call for destroy) and
 * one to give the result up, where the slot path paid eight atomic
 * read-modify-writes on four lines. A cell held by another thread (or by
 * this one's earlier result still uncollected) sends the call to the slot
 * path, which behaves as before.
 *
 * A cell's word is the token of its current generation with the state in
 * bits 8-9: bits 0-5 the cell's index, bit 16 set (a slot's token never has
 * it: its low word is at most the table size, below 65536, so the slot
 * functions answer -ENOENT for a cell's token), bits 17-63 the generation
 * (wrapping at 2^47). So a token is checked with one compare:
 *   FREE(g)   -> BUSY(g)    a submitter takes it (CAS); destroy waits while
 *                           any cell is BUSY or TAKING
 *   BUSY(g)   -> HELD(g+1)  the op completed inline: its result is in the
 *                           cell, its token names g+1
 *   BUSY(g)   -> FREE(g)    it did not: the slot path took the op
 *   HELD(G)   -> TAKING(G)  hoop_engine_wait takes the result (CAS), writes
 *   TAKING(G) -> FREE(G)    *out, and frees the cell
 *   HELD(G)   -> FREE(G)    hoop_engine_release (CAS)
 * Only the thread that moved the word to BUSY or TAKING touches the other
 * fields, so they are plain; a stale token reads only the word (its
 * generation differs), never them.
 */
#ifndef HOOP_CORE_CELLS_H
#define HOOP_CORE_CELLS_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hoop/engine.h"

#define HOOP_CELLS 64u /* per engine */

#define CELL_FREE 0u
#define CELL_BUSY (1u << 8)
#define CELL_HELD (2u << 8)
#define CELL_TAKING (3u << 8)
#define CELL_STATE_MASK (3u << 8)
#define CELL_TOKEN_BIT (1u << 16)
#define CELL_GEN_ONE (1ull << 17)
/* Bits a cell's token never has: 6-15 (the state's included). */
#define CELL_TOKEN_ZERO 0xffc0u

/* How many read verdicts (F_GETFL) a cell remembers, by fd parity. */
#define CELL_FL_WAYS 2u

struct hoop_cell {
	_Atomic uint64_t word; /* the token of its generation | state */
	uint64_t user_data;    /* HELD: the op's tag */
	/* Ops completed through this cell: written only by its BUSY owner
	 * (a relaxed load and store), summed by the metrics. */
	_Atomic uint64_t inline_ops;
	int32_t res; /* HELD: its result */
	/* The last descriptors read through this cell and their F_GETFL,
	 * each usable for `left` more reads (engine_inline.c). */
	int fl_fd[CELL_FL_WAYS];
	int fl[CELL_FL_WAYS];
	uint32_t fl_left[CELL_FL_WAYS];
	char pad[64 - 8 - 8 - 4 - 3 * 4 * CELL_FL_WAYS - 8];
};
_Static_assert(sizeof(struct hoop_cell) == 64, "a cell is a cache line");

static inline bool hoop__token_is_cell(uint64_t token)
{
	return (token & CELL_TOKEN_BIT) != 0;
}

/* Cell i's word at creation: generation 0, FREE. */
static inline uint64_t hoop__cell_word0(unsigned i)
{
	return CELL_TOKEN_BIT | i;
}

/* The cell a token names, or NULL (an unknown token). */
static inline struct hoop_cell *hoop__cell_of(struct hoop_cell *cells, uint64_t token)
{
	if (token & CELL_TOKEN_ZERO)
		return NULL;
	return &cells[token & (HOOP_CELLS - 1)];
}

/* The calling thread's cell, by its stack address (any is correct). */
static inline unsigned hoop__cell_pick(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uint32_t h = (uint32_t)(sp >> 16) * 0x9e3779b1u;
	return h >> 26;
}
_Static_assert(HOOP_CELLS == 64, "hoop__cell_pick takes the top 6 bits");

/*
 * hoop_engine_wait of a cell's token: the result is there or never will be.
 * The cell is TAKING while *out is written (which can fault and block), so
 * destroy waits for it.
 */
static inline int hoop__cell_wait(struct hoop_cell *cells, uint64_t token,
                                  struct hoop_completion *out)
{
	struct hoop_cell *c = hoop__cell_of(cells, token);
	if (!c)
		return -ENOENT;
	uint64_t held = token | CELL_HELD;
	uint64_t w = atomic_load_explicit(&c->word, memory_order_relaxed);
	/* Acquire: the submitter's result. seq_cst: destroy stores closing
	 * and then looks at the cells; it sees TAKING unless this call began
	 * after destroy (the same rule as the callers' count). */
	if (w != held || !atomic_compare_exchange_strong_explicit(
	                         &c->word, &w, token | CELL_TAKING,
	                         memory_order_seq_cst, memory_order_relaxed))
		return -ENOENT;
	out->user_data = c->user_data;
	out->token = token;
	out->res = c->res;
	out->flags = 0;
	/* Release: our reads of the result come before the next owner's
	 * writes. */
	atomic_store_explicit(&c->word, token, memory_order_release);
	return 0;
}

/* hoop_engine_release of a cell's token: the result is dropped. */
static inline int hoop__cell_release(struct hoop_cell *cells, uint64_t token)
{
	struct hoop_cell *c = hoop__cell_of(cells, token);
	if (!c)
		return -ENOENT;
	uint64_t w = token | CELL_HELD;
	if (!atomic_compare_exchange_strong_explicit(&c->word, &w, token,
	                                             memory_order_acq_rel,
	                                             memory_order_relaxed))
		return -ENOENT;
	return 0;
}

/* Cells a caller is inside (BUSY or TAKING): destroy waits for none. */
static inline unsigned hoop__cells_busy(struct hoop_cell *cells)
{
	unsigned n = 0;
	for (unsigned i = 0; i < HOOP_CELLS; i++) {
		uint64_t w = atomic_load_explicit(&cells[i].word,
		                                  memory_order_seq_cst);
		uint64_t st = w & CELL_STATE_MASK;
		n += st == CELL_BUSY || st == CELL_TAKING;
	}
	return n;
}

/* Ops completed inline through the cells. */
static inline uint64_t hoop__cells_inline_ops(struct hoop_cell *cells)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HOOP_CELLS; i++)
		n += atomic_load_explicit(&cells[i].inline_ops,
		                          memory_order_relaxed);
	return n;
}

#endif
