// Who decides an AP's fate when the boot CPU's deadline and the AP's progress meet: one
// compare-and-swap on the AP's stage word (docs/smp.md, "The join handshake"). The AP moves its
// stage forward only from the value it last wrote; the boot CPU gives up on it only from the
// value it last saw. Both are a compare-and-swap on the same word, so exactly one of them
// changes it: either the AP advanced first (the boot CPU's claim fails and it sees the new
// stage) or the boot CPU wrote its "abandoned" value first (the AP's step fails and the AP parks
// for good, without writing anything). Pure: the kernel uses it on arch::CpuLocal::stage,
// tests/host/bringup on plain words shared between host threads.
#pragma once

namespace kcpus::bringup {

// The AP's step from `from` (its current stage, which it wrote) to `to`. False: the word no
// longer holds `from`, so the boot CPU claimed this CPU abandoned; the caller must park (stop,
// interrupts off, touching nothing shared) and leave the word as it is.
template <typename Stage>
[[nodiscard]] bool ap_advance(Stage* word, Stage from, Stage to) {
  // Release on success: whoever reads `to` (acquire) sees everything this CPU set up before.
  // Acquire on failure: the boot CPU's claim, and its writes before it, are seen. (The success
  // order is acq_rel because a failure order may not be stronger than the success order.)
  return __atomic_compare_exchange_n(word, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// The boot CPU's claim that it gave up on the AP whose stage it last saw as `seen`. True: the
// AP never gets past `seen` (its next step fails and it parks); count it failed. False: the AP
// advanced first; its newer stage is in the word, and it must be treated as progress.
template <typename Stage>
[[nodiscard]] bool boot_abandon(Stage* word, Stage seen, Stage abandoned) {
  // Acquire on failure: the AP's newer stage comes with everything it wrote before it.
  return __atomic_compare_exchange_n(word, &seen, abandoned, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE);
}

}  // namespace kcpus::bringup
