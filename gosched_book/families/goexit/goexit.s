// asm_amd64.s (Go 1.19.8; the same text as Go 1.18)
// 本书注：原文没有讲 goexit；中文注释是本书自己加的，英文注释是 Go 源码原有的。

// The top-most function running on a goroutine
// returns to goexit+PCQuantum.
TEXT runtime·goexit(SB), NOSPLIT|TOPFRAME, $0-0
    BYTE    $0x90                       // NOP
    CALL    runtime·goexit1(SB)         // does not return（本书注：经 goexit1 的 ABI0 包装）
    // traceback from goexit1 must hit code range of goexit
    BYTE    $0x90                       // NOP
