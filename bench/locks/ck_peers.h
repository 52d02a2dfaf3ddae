/* Concurrency Kit locks behind plain C functions: several ck headers (CLH, HCLH) do not
 * compile as C++, so ck_peers.c includes them in C and the benchmark calls these. Each lock
 * lives in its own cache line (alignment done by the caller's storage). */
#ifndef PLEIADES_BENCH_CK_PEERS_H
#define PLEIADES_BENCH_CK_PEERS_H

#ifdef __cplusplus
extern "C" {
#else
#include <stdalign.h>
#endif

/* Opaque storage big enough and aligned for every ck lock used here. */
typedef struct {
  alignas(64) unsigned char bytes[64];
} ck_peer_lock;

void ck_peer_ticket_init(ck_peer_lock* l);
void ck_peer_ticket_lock(ck_peer_lock* l);
void ck_peer_ticket_unlock(ck_peer_lock* l);

/* MCS: the caller passes its own queue node (one per thread), as ck requires. */
typedef struct {
  alignas(64) unsigned char bytes[64];
} ck_peer_mcs_node;
void ck_peer_mcs_init(ck_peer_lock* l);
void ck_peer_mcs_lock(ck_peer_lock* l, ck_peer_mcs_node* node);
void ck_peer_mcs_unlock(ck_peer_lock* l, ck_peer_mcs_node* node);

/* Fetch-and-store with exponential backoff (ck_spinlock_fas_lock_eb). */
void ck_peer_fas_init(ck_peer_lock* l);
void ck_peer_fas_lock(ck_peer_lock* l);
void ck_peer_fas_unlock(ck_peer_lock* l);

void ck_peer_rw_init(ck_peer_lock* l);
void ck_peer_rw_read_lock(ck_peer_lock* l);
void ck_peer_rw_read_unlock(ck_peer_lock* l);
void ck_peer_rw_write_lock(ck_peer_lock* l);
void ck_peer_rw_write_unlock(ck_peer_lock* l);

#ifdef __cplusplus
}
#endif

#endif
