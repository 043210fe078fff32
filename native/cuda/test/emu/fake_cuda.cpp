// libcuda.so.1 for tests without a GPU: the driver API calls r1 binds (dev.r1.bindings.cuda.Cuda), with
// device memory in host memory and cuLaunchKernel running the real r1 kernels through cuda_emu.h's fiber
// emulation. Streams are synchronous; stream capture records launches, copies and memsets (their
// arguments copied at record time, as the driver does) and a graph launch replays them. Built by the
// engine's emulated-backend test:  g++ -std=c++17 -O1 -shared -fPIC -I. -I.. -include cuda_emu.h ...
#include "cuda_emu.h"
#include "../../r1_kernels.cu"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

// ---- fibers --------------------------------------------------------------------------------------------

thread_local r1emu_thread* r1emu_cur;
r1emu_dim3 r1emu_block, r1emu_grid, r1emu_bdim;

// A context switch without glibc's swapcontext, which makes a signal-mask system call per switch (the
// emulator switches at every barrier of every thread): callee-saved registers on the stack, swap rsp.
#if defined(__x86_64__)
extern "C" void r1emu_switch(void** save, void* to);
asm(R"(
    .text
    .globl r1emu_switch
    .type r1emu_switch,@function
r1emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size r1emu_switch, .-r1emu_switch
)");
#else
#error "the CUDA emulator's context switch is written for x86-64"
#endif

namespace {
struct Fiber {
    r1emu_thread t;
    void* sp;
    std::vector<char> stack;
    bool done;
};

void* sched;
std::vector<Fiber> fibers;
std::function<void()> body;
std::vector<unsigned char> dynSmem;
Fiber* running;
// block barrier and per-warp barriers: arrivals and generation
unsigned blockArrived, blockGen;
std::vector<unsigned> warpArrived, warpGen;
std::vector<unsigned char> exchange; // 32 lanes x 8 bytes per warp

void fiberMain() {
    body();
    running->done = true;
    r1emu_switch(&running->sp, sched); // never resumed
}

int liveInBlock() {
    int n = 0;
    for (auto& f : fibers) n += !f.done;
    return n;
}
int liveInWarp(int w) {
    int n = 0;
    for (size_t i = 32 * w; i < fibers.size() && i < 32u * (w + 1); i++) n += !fibers[i].done;
    return n;
}
void yieldToScheduler() { r1emu_switch(&running->sp, sched); }

void runBlock() {
    for (auto& f : fibers) {
        f.done = false;
        // a fresh stack that r1emu_switch "returns" into fiberMain from: six zeroed registers, the entry,
        // and a dummy return address so that rsp is 16-byte aligned + 8 at entry, as after a call
        uintptr_t top = ((uintptr_t)(f.stack.data() + f.stack.size())) & ~(uintptr_t)15;
        void** sp = (void**)top;
        *--sp = nullptr;
        *--sp = (void*)fiberMain;
        for (int i = 0; i < 6; i++) *--sp = nullptr;
        f.sp = sp;
    }
    blockArrived = 0;
    std::fill(warpArrived.begin(), warpArrived.end(), 0);
    for (bool any = true; any;) {
        any = false;
        for (auto& f : fibers) {
            if (f.done) continue;
            any = true;
            running = &f;
            r1emu_cur = &f.t;
            r1emu_switch(&sched, f.sp);
        }
    }
}

void runGrid(unsigned gx, unsigned gy, unsigned bx, unsigned smem, std::function<void()> kernel) {
    r1emu_grid = {gx, gy, 1};
    r1emu_bdim = {bx, 1, 1};
    fibers.resize(bx);
    for (unsigned i = 0; i < bx; i++) {
        fibers[i].t.tid = {i, 0, 0};
        if (fibers[i].stack.size() < (64u << 10)) fibers[i].stack.resize(64u << 10);
    }
    warpArrived.assign((bx + 31) / 32, 0);
    warpGen.assign((bx + 31) / 32, 0);
    exchange.assign(((bx + 31) / 32) * 32 * 8, 0);
    dynSmem.assign(smem + 16, 0);
    body = std::move(kernel);
    for (unsigned y = 0; y < gy; y++)
        for (unsigned x = 0; x < gx; x++) {
            r1emu_block = {x, y, 0};
            runBlock();
        }
}
} // namespace

unsigned char* r1emu_dynamic_smem() { return dynSmem.data(); }

void r1emu_sync_block() {
    unsigned g = blockGen;
    if (++blockArrived >= (unsigned)liveInBlock()) {
        blockArrived = 0;
        blockGen++;
        return;
    }
    while (blockGen == g) {
        yieldToScheduler();
        if (blockGen == g && blockArrived >= (unsigned)liveInBlock()) { blockArrived = 0; blockGen++; } // others exited
    }
}

void r1emu_sync_warp() {
    int w = threadIdx.x / 32;
    unsigned g = warpGen[w];
    if (++warpArrived[w] >= (unsigned)liveInWarp(w)) {
        warpArrived[w] = 0;
        warpGen[w]++;
        return;
    }
    while (warpGen[w] == g) yieldToScheduler();
}

void r1emu_exchange(const void* mine, void* out, int size, int src) {
    int w = threadIdx.x / 32, lane = threadIdx.x & 31;
    memcpy(&exchange[(32 * w + lane) * 8], mine, size);
    r1emu_sync_warp();
    memcpy(out, &exchange[(32 * w + src) * 8], size);
    r1emu_sync_warp();
}

// ---- kernels by name -------------------------------------------------------------------------------------

namespace {
// Binds a launch: the parameter values are copied now (kernelParams may be rewritten after the call).
template <class... A, size_t... I>
std::function<void()> bindArgs(void (*f)(A...), void** p, std::index_sequence<I...>) {
    auto t = std::make_tuple(*(std::decay_t<A>*)p[I]...);
    return [f, t]() { std::apply(f, t); };
}
struct Kernel {
    std::function<std::function<void()>(void**)> bind;
};
template <class... A> Kernel kernel(void (*f)(A...)) {
    return {[f](void** p) { return bindArgs(f, p, std::index_sequence_for<A...>{}); }};
}
std::map<std::string, Kernel>& kernels() {
    static std::map<std::string, Kernel> k = {
        {"r1_embed", kernel(r1_embed)}, {"r1_rmsnorm", kernel(r1_rmsnorm)}, {"r1_add_rmsnorm", kernel(r1_add_rmsnorm)},
        {"r1_add", kernel(r1_add)}, {"r1_add_bias", kernel(r1_add_bias)}, {"r1_swiglu", kernel(r1_swiglu)},
        {"r1_rope", kernel(r1_rope)}, {"r1_kv_append", kernel(r1_kv_append)}, {"r1_quantize_q8_1", kernel(r1_quantize_q8_1)},
        {"r1_quantize_q8_k", kernel(r1_quantize_q8_k)}, {"r1_to_half", kernel(r1_to_half)}, {"r1_dequant_f16", kernel(r1_dequant_f16)},
        {"r1_mv_q4_0", kernel(r1_mv_q4_0)}, {"r1_mv_q4_0_any", kernel(r1_mv_q4_0_any)}, {"r1_mv_q8_0", kernel(r1_mv_q8_0)}, {"r1_mv_q4_k", kernel(r1_mv_q4_k)},
        {"r1_mv_q6_k", kernel(r1_mv_q6_k)}, {"r1_mv_f16", kernel(r1_mv_f16)}, {"r1_mv_bf16", kernel(r1_mv_bf16)}, {"r1_mv_f32", kernel(r1_mv_f32)},
        {"r1_gemm", kernel(r1_gemm)}, {"r1_mm_q4_0", kernel(r1_mm_q4_0)}, {"r1_mm_q8_0", kernel(r1_mm_q8_0)},
        {"r1_mm_q4_k", kernel(r1_mm_q4_k)}, {"r1_mm_q6_k", kernel(r1_mm_q6_k)}, {"r1_attn_decode", kernel(r1_attn_decode)},
        {"r1_mv_q4_1", kernel(r1_mv_q4_1)}, {"r1_mm_q4_1", kernel(r1_mm_q4_1)},
        {"r1_mv_q5_0", kernel(r1_mv_q5_0)}, {"r1_mm_q5_0", kernel(r1_mm_q5_0)},
        {"r1_mv_q5_1", kernel(r1_mv_q5_1)}, {"r1_mm_q5_1", kernel(r1_mm_q5_1)},
        {"r1_mv_iq4_nl", kernel(r1_mv_iq4_nl)}, {"r1_mm_iq4_nl", kernel(r1_mm_iq4_nl)},
        {"r1_mv_q2_k", kernel(r1_mv_q2_k)}, {"r1_mm_q2_k", kernel(r1_mm_q2_k)},
        {"r1_mv_q3_k", kernel(r1_mv_q3_k)}, {"r1_mm_q3_k", kernel(r1_mm_q3_k)},
        {"r1_mv_q5_k", kernel(r1_mv_q5_k)}, {"r1_mm_q5_k", kernel(r1_mm_q5_k)},
        {"r1_mv_iq4_xs", kernel(r1_mv_iq4_xs)}, {"r1_mm_iq4_xs", kernel(r1_mm_iq4_xs)},
        {"r1_attn_prefill", kernel(r1_attn_prefill)},
    };
    return k;
}

bool capturing;
std::vector<std::function<void()>>* recording;
int launches;

void run(std::function<void()> op) {
    if (capturing) recording->push_back(std::move(op));
    else op();
}
} // namespace

// ---- the driver API ---------------------------------------------------------------------------------------

typedef unsigned long long CUdeviceptr;
#define OK 0
#define UNSUPPORTED 801 // CUDA_ERROR_NOT_SUPPORTED

extern "C" {
int r1emu_launches() { return launches; }

int cuGetErrorString(int e, const char** s) { *s = e == 2 ? "out of memory" : "emulated driver error"; return OK; }
int cuGetErrorName(int e, const char** s) { *s = e == 2 ? "CUDA_ERROR_OUT_OF_MEMORY" : "CUDA_ERROR_EMULATED"; return OK; }
int cuInit(unsigned) { return OK; }
int cuDriverGetVersion(int* v) { *v = 13000; return OK; }
int cuDeviceGet(int* d, int ordinal) { *d = ordinal; return OK; }
int cuDeviceGetCount(int* n) { *n = 1; return OK; }
int cuDeviceGetName(char* name, int len, int) { snprintf(name, len, "r1 CUDA emulator (host)"); return OK; }
int cuDeviceTotalMem_v2(size_t* b, int) { *b = 8ull << 30; return OK; }
int cuDeviceGetAttribute(int* v, int attr, int) {
    switch (attr) {
        case 75: *v = 8; break;  // compute capability major
        case 76: *v = 0; break;  // minor
        case 16: *v = 4; break;  // multiprocessors
        default: *v = 0;
    }
    return OK;
}
int cuDevicePrimaryCtxRetain(void** ctx, int) { static int c; *ctx = &c; return OK; }
int cuDevicePrimaryCtxRelease_v2(int) { return OK; }
int cuCtxCreate_v4(void**, void*, unsigned, int) { return UNSUPPORTED; }
int cuCtxDestroy_v2(void*) { return UNSUPPORTED; }
int cuCtxSetCurrent(void*) { return OK; }
int cuCtxGetCurrent(void**) { return UNSUPPORTED; }
int cuCtxSynchronize() { return OK; }
int cuModuleLoadData(void** m, const void* image) {
    if (*(const uint32_t*)image != 0xBA55ED50u) return 200; // CUDA_ERROR_INVALID_IMAGE
    static int mod;
    *m = &mod;
    return OK;
}
int cuModuleUnload(void*) { return OK; }
int cuModuleGetFunction(void** f, void*, const char* name) {
    auto it = kernels().find(name);
    if (it == kernels().end()) return 500; // CUDA_ERROR_NOT_FOUND
    *f = &it->second;
    return OK;
}
int cuModuleGetGlobal_v2(CUdeviceptr*, size_t*, void*, const char*) { return UNSUPPORTED; }
int cuMemGetInfo_v2(size_t* free, size_t* total) { *free = 4ull << 30; *total = 8ull << 30; return OK; }
int cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
    if (n > (4ull << 30)) return 2;
    void* m = aligned_alloc(256, (n + 255) / 256 * 256);
    if (!m) return 2;
    *p = (CUdeviceptr)m;
    return OK;
}
int cuMemFree_v2(CUdeviceptr p) { free((void*)p); return OK; }
int cuMemAllocHost_v2(void** p, size_t n) { *p = aligned_alloc(256, (n + 255) / 256 * 256); return *p ? OK : 2; }
int cuMemFreeHost(void* p) { free(p); return OK; }
int cuMemcpyHtoD_v2(CUdeviceptr d, const void* s, size_t n) { memcpy((void*)d, s, n); return OK; }
int cuMemcpyDtoH_v2(void* d, CUdeviceptr s, size_t n) { memcpy(d, (void*)s, n); return OK; }
int cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) { memmove((void*)d, (void*)s, n); return OK; }
int cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t n, void*) { run([=] { memcpy((void*)d, s, n); }); return OK; }
int cuMemcpyDtoHAsync_v2(void* d, CUdeviceptr s, size_t n, void*) { run([=] { memcpy(d, (void*)s, n); }); return OK; }
int cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void*) { run([=] { memmove((void*)d, (void*)s, n); }); return OK; }
int cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { memset((void*)d, v, n); return OK; }
int cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { for (size_t i = 0; i < n; i++) ((unsigned*)d)[i] = v; return OK; }
int cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void*) {
    run([=] { for (size_t i = 0; i < n; i++) ((unsigned*)d)[i] = v; });
    return OK;
}
int cuStreamCreate(void** s, unsigned) { static int st; *s = &st; return OK; }
int cuStreamWaitEvent(void*, void*, unsigned) { return OK; }
int cuStreamBeginCapture_v2(void*, int) {
    if (capturing) return 900; // CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED
    capturing = true;
    recording = new std::vector<std::function<void()>>();
    return OK;
}
int cuStreamEndCapture(void*, void** graph) {
    if (!capturing) return 901;
    capturing = false;
    *graph = recording;
    recording = nullptr;
    return OK;
}
int cuStreamSynchronize(void*) { return capturing ? 900 : OK; } // syncing a capturing stream is an error
int cuStreamDestroy_v2(void*) { return OK; }
int cuEventCreate(void** e, unsigned) { *e = new double(0); return OK; }
int cuEventRecord(void* e, void*) {
    *(double*)e = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return OK;
}
int cuEventSynchronize(void*) { return OK; }
int cuEventDestroy_v2(void* e) { delete (double*)e; return OK; }
int cuEventElapsedTime_v2(float* ms, void* a, void* b) { *ms = (float)(*(double*)b - *(double*)a); return OK; }
int cuFuncSetAttribute(void*, int, int) { return OK; }
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned smem,
                   void*, void** params, void** extra) {
    if (gz != 1 || by != 1 || bz != 1 || extra || bx == 0 || bx > 1024 || gx == 0 || gy == 0) return 1; // CUDA_ERROR_INVALID_VALUE
    if (smem > 48 * 1024) return 1;
    std::function<void()> k = ((Kernel*)f)->bind(params);
    launches++;
    run([=] { runGrid(gx, gy, bx, smem, k); });
    return OK;
}
int cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long) { *exec = graph; return OK; }
int cuGraphLaunch(void* exec, void*) {
    for (auto& op : *(std::vector<std::function<void()>>*)exec) op();
    return OK;
}
int cuGraphExecDestroy(void*) { return OK; }
int cuGraphDestroy(void* g) { delete (std::vector<std::function<void()>>*)g; return OK; }
int cuGraphExecUpdate_v2(void*, void*, void*) { return UNSUPPORTED; }
}
