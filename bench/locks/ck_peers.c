/* See ck_peers.h. */
#include "bench/locks/ck_peers.h"

#include <ck_rwlock.h>
#include <ck_spinlock.h>

_Static_assert(sizeof(ck_spinlock_ticket_t) <= sizeof(ck_peer_lock), "ticket fits");
_Static_assert(sizeof(ck_spinlock_mcs_t) <= sizeof(ck_peer_lock), "mcs fits");
_Static_assert(sizeof(struct ck_spinlock_mcs) <= sizeof(ck_peer_mcs_node), "mcs node fits");
_Static_assert(sizeof(ck_spinlock_fas_t) <= sizeof(ck_peer_lock), "fas fits");
_Static_assert(sizeof(ck_rwlock_t) <= sizeof(ck_peer_lock), "rwlock fits");

#define AS(type, l) ((type*)(void*)(l)->bytes)

void ck_peer_ticket_init(ck_peer_lock* l) { ck_spinlock_ticket_init(AS(ck_spinlock_ticket_t, l)); }
void ck_peer_ticket_lock(ck_peer_lock* l) { ck_spinlock_ticket_lock(AS(ck_spinlock_ticket_t, l)); }
void ck_peer_ticket_unlock(ck_peer_lock* l) {
  ck_spinlock_ticket_unlock(AS(ck_spinlock_ticket_t, l));
}

void ck_peer_mcs_init(ck_peer_lock* l) { ck_spinlock_mcs_init(AS(ck_spinlock_mcs_t, l)); }
void ck_peer_mcs_lock(ck_peer_lock* l, ck_peer_mcs_node* node) {
  ck_spinlock_mcs_lock(AS(ck_spinlock_mcs_t, l), AS(struct ck_spinlock_mcs, node));
}
void ck_peer_mcs_unlock(ck_peer_lock* l, ck_peer_mcs_node* node) {
  ck_spinlock_mcs_unlock(AS(ck_spinlock_mcs_t, l), AS(struct ck_spinlock_mcs, node));
}

void ck_peer_fas_init(ck_peer_lock* l) { ck_spinlock_fas_init(AS(ck_spinlock_fas_t, l)); }
void ck_peer_fas_lock(ck_peer_lock* l) { ck_spinlock_fas_lock_eb(AS(ck_spinlock_fas_t, l)); }
void ck_peer_fas_unlock(ck_peer_lock* l) { ck_spinlock_fas_unlock(AS(ck_spinlock_fas_t, l)); }

void ck_peer_rw_init(ck_peer_lock* l) { ck_rwlock_init(AS(ck_rwlock_t, l)); }
void ck_peer_rw_read_lock(ck_peer_lock* l) { ck_rwlock_read_lock(AS(ck_rwlock_t, l)); }
void ck_peer_rw_read_unlock(ck_peer_lock* l) { ck_rwlock_read_unlock(AS(ck_rwlock_t, l)); }
void ck_peer_rw_write_lock(ck_peer_lock* l) { ck_rwlock_write_lock(AS(ck_rwlock_t, l)); }
void ck_peer_rw_write_unlock(ck_peer_lock* l) { ck_rwlock_write_unlock(AS(ck_rwlock_t, l)); }
