// sys_linux_amd64.s (Go 1.19.8; the same text as Go 1.18)
// 本书注：sigaction 的 sa_restorer：sigtramp 的 RET 回到这里，由内核恢复被打断的现场。

#define SYS_rt_sigreturn	15

// For cgo unwinding to work, this function must look precisely like
// the one in glibc.  The glibc source code is:
// https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/unix/sysv/linux/x86_64/sigaction.c
// The code that cares about the precise instructions used is:
// https://gcc.gnu.org/viewcvs/gcc/trunk/libgcc/config/i386/linux-unwind.h?revision=219188&view=markup
TEXT runtime·sigreturn(SB),NOSPLIT,$0
	MOVQ	$SYS_rt_sigreturn, AX	// 本书注：15 = rt_sigreturn
	SYSCALL	// 本书注：内核从 ucontext 恢复全部寄存器，回到被打断的指令
	INT $3	// not reached
