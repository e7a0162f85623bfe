/*
 * A stand-in bcryptprimitives.dll for running Go programs under Wine in CI.
 *
 * Go 1.24+ gets its random bytes from ProcessPrng in bcryptprimitives.dll,
 * which every Windows 10 and 11 has and Wine 8 (Debian bookworm) lacks, so a
 * Go program dies at start under that Wine. This DLL exports ProcessPrng and
 * forwards to RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 * It is built by scripts/windows-smoke.sh with mingw and never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        size -= n;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance; (void)reason; (void)reserved;
    return TRUE;
}
