// sys_linux_amd64.s (Go 1.19.8; the same text as Go 1.18)
// 本书注：原文没有讲 sigtramp；英文注释是 Go 源码原有的，“本书注”是本书自己加的。
// 本书注：内核像“调用”一样进入 sigtramp：SP 在 gsignal 的栈（sigaltstack）上，[SP] 是 restorer，
// 本书注：DI = 信号编号，SI = &siginfo，DX = &ucontext（C 的调用约定）。

#include "cgo/abi_amd64.h"

// Called using C ABI.
TEXT runtime·sigtramp(SB),NOSPLIT|TOPFRAME,$0
	// Transition from C ABI to Go ABI.
	PUSH_REGS_HOST_TO_ABI0()	// 本书注：开 0x30 字节，存 BP、BX、R12–R15（C 的被调用者保存寄存器）

	// Set up ABIInternal environment: g in R14, cleared X15.
	get_tls(R12)
	MOVQ	g(R12), R14	// 本书注：R14 = TLS 里的 g：被打断的那个 g（或 g0）
	PXOR	X15, X15

	// Reserve space for spill slots.
	NOP	SP		// disable vet stack checking
	ADJSP   $24	// 本书注：为 sigtrampgo 的三个寄存器参数预留溢出槽

	// Call into the Go signal handler
	MOVQ	DI, AX	// sig
	MOVQ	SI, BX	// info
	MOVQ	DX, CX	// ctx
	CALL	·sigtrampgo<ABIInternal>(SB)	// 本书注：本书的替身：换到 gsignal，（不模拟 sighandler），再换回

	ADJSP	$-24

        POP_REGS_HOST_TO_ABI0()	// 本书注：恢复 BX、R12–R15、BP，SP 回到 [SP] = restorer
	RET	// 本书注：“返回”到 restorer，即 runtime·sigreturn
