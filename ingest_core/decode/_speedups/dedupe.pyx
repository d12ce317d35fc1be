# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""RFID read deduplication, compiled twin (same names and answers as ``fallback.dedupe``).

What it is: ``Deduplicator(window_s, capacity)`` with ``accept`` and
``accept_many``; the rules (window, refresh on every sighting, least recently
seen evicted when full) are written down in the twin's docstring.

How it works: no Python object is kept per EPC. A pair ``(zone, epc)`` is
reduced to a 128-bit fingerprint of its UTF-8 bytes (two independent 64-bit
multiply-rotate hashes with a per-process random seed); an entry is 32 bytes
(fingerprint, last time, LRU links) in one preallocated array of
``capacity`` entries, found through an open-addressing index of 32-bit slots
(linear probing, load <= 0.5, backward-shift deletion). The LRU list is
intrusive (prev/next entry numbers), so touch and eviction are O(1). About
40 bytes per entry: 1,000,000 EPCs take about 42 MB.

Caveats: two pairs with the same 128-bit fingerprint would be treated as one
(probability about n^2 / 2^129: nil for any real store; the seed is random
so it cannot be targeted from outside the process). Strings are read through
their UTF-8 buffer: ASCII EPC text costs no copy.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy, memset

import os

__all__ = ["Deduplicator"]

cdef enum:
    NIL = 0xFFFFFFFF

cdef uint64_t P1 = 0x9E3779B185EBCA87ULL
cdef uint64_t P2 = 0xC2B2AE3D27D4EB4FULL
cdef uint64_t P3 = 0x165667B19E3779F9ULL
cdef uint64_t P4 = 0xD6E8FEB86659FD93ULL

cdef uint64_t SEED1 = int.from_bytes(os.urandom(8), "little")
cdef uint64_t SEED2 = int.from_bytes(os.urandom(8), "little")


cdef struct Entry:
    uint64_t h1
    uint64_t h2
    double last
    uint32_t prev
    uint32_t next


cdef inline uint64_t _rotl(uint64_t value, int bits) noexcept nogil:
    return (value << bits) | (value >> (64 - bits))


cdef inline uint64_t _fmix(uint64_t value) noexcept nogil:
    value ^= value >> 33
    value *= 0xFF51AFD7ED558CCDULL
    value ^= value >> 33
    value *= 0xC4CEB9FE1A85EC53ULL
    value ^= value >> 33
    return value


cdef inline void _mix(const char* data, Py_ssize_t size, uint64_t* h1,
                      uint64_t* h2) noexcept nogil:
    """Feed ``size`` bytes into both hashes, 8 at a time, then the length."""
    cdef uint64_t word
    cdef Py_ssize_t position = 0
    while position + 8 <= size:
        memcpy(&word, data + position, 8)
        h1[0] = _rotl(h1[0] ^ (word * P1), 31) * P2
        h2[0] = _rotl(h2[0] ^ (word * P3), 29) * P4
        position += 8
    if position < size:
        word = 0
        memcpy(&word, data + position, size - position)
        h1[0] = _rotl(h1[0] ^ (word * P1), 31) * P2
        h2[0] = _rotl(h2[0] ^ (word * P3), 29) * P4
    # The length keeps ("ab", "c") and ("a", "bc") apart.
    h1[0] = _rotl(h1[0] ^ (<uint64_t>size * P3), 27) * P1
    h2[0] = _rotl(h2[0] ^ (<uint64_t>size * P1), 33) * P3


cdef class Deduplicator:
    """Accept an EPC read once per zone and window (see ``ingest_core.decode.fallback.dedupe``)."""

    cdef Entry* _entries
    cdef uint32_t* _slots
    cdef uint64_t _mask
    cdef uint32_t _capacity, _count, _head, _tail
    cdef double _window
    cdef readonly unsigned long long evictions

    def __cinit__(self, window_s, capacity):
        self._entries = NULL
        self._slots = NULL

    def __init__(self, window_s, capacity):
        cdef uint64_t slot_count = 1
        window_s = float(window_s)
        if not window_s >= 0.0:
            raise ValueError("window_s must be >= 0")
        if not 1 <= capacity <= 0x7FFFFFFF:
            raise ValueError("capacity must be between 1 and 2**31 - 1")
        while slot_count < 2 * <uint64_t>capacity:
            slot_count <<= 1
        PyMem_Free(self._entries)
        PyMem_Free(self._slots)
        self._entries = <Entry*>PyMem_Malloc(<size_t>capacity * sizeof(Entry))
        self._slots = <uint32_t*>PyMem_Malloc(<size_t>slot_count * sizeof(uint32_t))
        if self._entries == NULL or self._slots == NULL:
            raise MemoryError()
        self._mask = slot_count - 1
        self._capacity = <uint32_t>capacity
        self._window = window_s
        self.evictions = 0
        self.clear()

    def __dealloc__(self):
        PyMem_Free(self._entries)
        PyMem_Free(self._slots)

    @property
    def window_s(self):
        return self._window

    @property
    def capacity(self):
        return self._capacity

    def __len__(self):
        return self._count

    def clear(self):
        """Forget every EPC (``evictions`` is kept)."""
        memset(self._slots, 0, <size_t>(self._mask + 1) * sizeof(uint32_t))
        self._count = 0
        self._head = NIL
        self._tail = NIL

    def accept(self, str zone not None, str epc not None, double seen_at):
        """True when this read of ``epc`` in ``zone`` is new."""
        cdef uint64_t h1 = SEED1, h2 = SEED2
        cdef Py_ssize_t zone_size
        cdef const char* zone_data = PyUnicode_AsUTF8AndSize(zone, &zone_size)
        _mix(zone_data, zone_size, &h1, &h2)
        return self._accept(zone_data, zone_size, epc, seen_at, h1, h2)

    def accept_many(self, str zone not None, list epcs not None, list times not None):
        """``accept`` over parallel lists, in order (a repeat inside the batch is a repeat)."""
        cdef Py_ssize_t index, count = len(epcs)
        cdef uint64_t h1 = SEED1, h2 = SEED2
        cdef Py_ssize_t zone_size
        cdef const char* zone_data = PyUnicode_AsUTF8AndSize(zone, &zone_size)
        cdef list results
        cdef object epc
        if len(times) != count:
            raise ValueError("epcs and times must have the same length")
        _mix(zone_data, zone_size, &h1, &h2)
        results = [None] * count
        for index in range(count):
            epc = epcs[index]
            if type(epc) is not str:
                raise TypeError(f"epcs[{index}] must be str, not {type(epc).__name__}")
            results[index] = self._accept(zone_data, zone_size, <str>epc,
                                          <double>times[index], h1, h2)
        return results

    cdef inline bint _accept(self, const char* zone_data, Py_ssize_t zone_size, str epc,
                             double seen_at, uint64_t h1, uint64_t h2) except -1:
        cdef Py_ssize_t epc_size
        cdef const char* epc_data = PyUnicode_AsUTF8AndSize(epc, &epc_size)
        cdef uint64_t slot
        cdef uint32_t index
        cdef Entry* entry
        cdef double last
        _mix(epc_data, epc_size, &h1, &h2)
        h1 = _fmix(h1)
        h2 = _fmix(h2 ^ h1)
        slot = h1 & self._mask
        while True:
            index = self._slots[slot]
            if index == 0:
                break
            entry = &self._entries[index - 1]
            if entry.h1 == h1 and entry.h2 == h2:
                last = entry.last
                self._touch(index - 1)
                if seen_at > last:
                    entry.last = seen_at
                return seen_at - last >= self._window
            slot = (slot + 1) & self._mask
        self._insert(slot, h1, h2, seen_at)
        return True

    cdef inline void _unlink(self, uint32_t index) noexcept nogil:
        cdef Entry* entry = &self._entries[index]
        if entry.prev != NIL:
            self._entries[entry.prev].next = entry.next
        else:
            self._head = entry.next
        if entry.next != NIL:
            self._entries[entry.next].prev = entry.prev
        else:
            self._tail = entry.prev

    cdef inline void _append(self, uint32_t index) noexcept nogil:
        cdef Entry* entry = &self._entries[index]
        entry.prev = self._tail
        entry.next = NIL
        if self._tail != NIL:
            self._entries[self._tail].next = index
        else:
            self._head = index
        self._tail = index

    cdef inline void _touch(self, uint32_t index) noexcept nogil:
        if self._tail != index:
            self._unlink(index)
            self._append(index)

    cdef void _insert(self, uint64_t slot, uint64_t h1, uint64_t h2, double seen_at) noexcept nogil:
        cdef uint32_t index
        cdef Entry* entry
        if self._count < self._capacity:
            index = self._count
            self._count += 1
        else:
            index = self._head
            self._evict(index)
            self.evictions += 1
            # The victim's slot is gone and later slots may have shifted: probe again.
            slot = h1 & self._mask
            while self._slots[slot] != 0:
                slot = (slot + 1) & self._mask
        entry = &self._entries[index]
        entry.h1 = h1
        entry.h2 = h2
        entry.last = seen_at
        self._append(index)
        self._slots[slot] = index + 1

    cdef void _evict(self, uint32_t index) noexcept nogil:
        """Unlink entry ``index`` and delete its slot (backward-shift deletion)."""
        cdef Entry* entry = &self._entries[index]
        cdef uint64_t hole, probe, home
        self._unlink(index)
        hole = entry.h1 & self._mask
        while self._slots[hole] != index + 1:
            hole = (hole + 1) & self._mask
        probe = hole
        while True:
            probe = (probe + 1) & self._mask
            if self._slots[probe] == 0:
                break
            home = self._entries[self._slots[probe] - 1].h1 & self._mask
            # An entry may fill the hole only if its home is not cyclically in (hole, probe].
            if hole <= probe:
                if hole < home <= probe:
                    continue
            elif home > hole or home <= probe:
                continue
            self._slots[hole] = self._slots[probe]
            hole = probe
        self._slots[hole] = 0
