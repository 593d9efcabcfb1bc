// sys_linux_amd64.s (Go 1.19.8; the same text as Go 1.18)
// 本书注：英文注释是 Go 源码原有的，“本书注”是本书自己加的。

// sys_linux_amd64.s:38
#define SYS_arch_prctl		158

// sys_linux_amd64.s:638-652
// set tls base to DI
TEXT runtime·settls(SB),NOSPLIT,$32
#ifdef GOOS_android
	// Android stores the TLS offset in runtime·tls_g.
	SUBQ	runtime·tls_g(SB), DI
#else
	ADDQ	$8, DI	// ELF wants to use -8(FS)
#endif
	MOVQ	DI, SI
	MOVQ	$0x1002, DI	// ARCH_SET_FS
	MOVQ	$SYS_arch_prctl, AX
	SYSCALL	// 本书注：内核执行 arch_prctl(ARCH_SET_FS, DI)：设好 FS 基址
	CMPQ	AX, $0xfffffffffffff001
	JLS	2(PC)
	MOVL	$0xf1, 0xf1  // crash
	RET
