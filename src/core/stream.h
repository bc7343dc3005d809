/*
 * stream.h — one parallel read of a memory range: the memory-bandwidth
 * floor the benchmarks (bench_io, bench_kmeans, `clmseg bench`) set their
 * figures against.  Kept in one place so all of them measure the same
 * thing.
 */
#ifndef CLMSEG_CORE_STREAM_H
#define CLMSEG_CORE_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* Reads every byte of [p, p + bytes) once, split across all OpenMP
 * threads (static schedule), and returns the xor of its 64-bit words (and
 * trailing bytes) so the read cannot be optimised away.  An integer xor
 * vectorises without reassociation flags, so the loop runs at the memory
 * system's speed, not at the latency of a floating-point add chain. */
uint64_t stream_read(const void *p, size_t bytes);

#endif
