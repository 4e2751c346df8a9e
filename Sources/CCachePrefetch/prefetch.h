#ifndef VOICERELAY_CACHE_PREFETCH_H
#define VOICERELAY_CACHE_PREFETCH_H

#include <stddef.h>

// Swift cannot express a prefetch; this header is inlined into its Swift callers.
// Asks for every cache line of [start, start + byteCount) at once, for writing, so that the
// misses overlap instead of coming one after another as the code reaches each line.
static inline void voicerelay_prefetch_for_write(const void *start, size_t byteCount) {
    const char *byte = (const char *)start;
    for (size_t offset = 0; offset < byteCount; offset += 64) {
        __builtin_prefetch(byte + offset, 1, 3);
    }
}

#endif
