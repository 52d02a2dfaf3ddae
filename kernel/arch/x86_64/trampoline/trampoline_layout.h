// Layout of the AP trampoline page, shared by trampoline.S (through the preprocessor) and the
// C++ that fills the page (trampoline_page.cc, which static_asserts the struct offsets against
// these numbers). docs/smp.md explains the protocol.
//
//   0x000  code: 16-bit entry (the SIPI vector points here), 32-bit and 64-bit stages
//   0x300  TrampolineParams: GDT, GDTR, far pointers, CR3/CR0/EFER, kernel entry, slot table info
//   0x800  slots: TRAMPOLINE_SLOT_COUNT x {u32 apic_id, u32 stage}, one per AP of the current wave
//
// An AP finds its slot by its own APIC ID (CPUID), so all APs of a wave can start at once.
#pragma once

#define TRAMPOLINE_PARAMS_OFFSET 0x300
#define TRAMPOLINE_SLOTS_OFFSET 0x800
#define TRAMPOLINE_SLOT_SIZE 8
#define TRAMPOLINE_SLOT_COUNT 256  /* (4096 - 0x800) / 8 */

// Offsets inside TrampolineParams (relative to TRAMPOLINE_PARAMS_OFFSET).
#define TP_GDT 0x00            /* 4 descriptors: null, code32, data32, code64 */
#define TP_GDTR 0x20           /* u16 limit, u32 base (+2 bytes pad) */
#define TP_FAR32 0x28          /* u32 offset, u16 selector (+2 pad): 16 -> 32-bit jump */
#define TP_FAR64 0x30          /* u32 offset, u16 selector (+2 pad): 32 -> 64-bit jump */
#define TP_CR3 0x38            /* u32: kernel PML4, below 4 GiB */
#define TP_USE_LEAF_B 0x3C     /* u32: 1 = APIC ID from CPUID 0xB EDX, 0 = CPUID 1 EBX[31:24] */
#define TP_CR0 0x40            /* u32: the BSP's CR0 (PG, PE, WP, ...) */
#define TP_EFER_LO 0x44        /* u32: the BSP's EFER without LMA (LME, NXE, SCE) */
#define TP_EFER_HI 0x48        /* u32 */
#define TP_SLOT_COUNT 0x4C     /* u32: slots in use in this wave */
#define TP_ARRIVALS 0x50       /* u32: every AP that ran the 16-bit entry (diagnostics) */
#define TP_UNKNOWN 0x54        /* u32: APs that found no slot with their APIC ID (parked) */
#define TP_ENTRY64 0x58        /* u64: kernel virtual address of ap_entry (C++) */
#define TP_BOOT_TABLE 0x60     /* u64: kernel virtual address of ApBootEntry[slot_count] */
#define TP_SIZE 0x68

// ApBootEntry (kernel memory, one per slot): what the 64-bit stage loads before the jump.
#define ABE_STACK_TOP 0x00
#define ABE_ARG 0x08
#define ABE_SIZE 0x10

// Selectors of the trampoline's own GDT.
#define TRAMPOLINE_SEL_CODE32 0x08
#define TRAMPOLINE_SEL_DATA32 0x10
#define TRAMPOLINE_SEL_CODE64 0x18

// Stage numbers the assembly writes; the C++ enum smp::Stage uses the same values.
#define STAGE_TRAMPOLINE16 1
#define STAGE_PROTECTED32 2
#define STAGE_LONG64 3
