/*
 * test_engine.h - a tiny test double of the filter engine for the recorder's examples: the Fwps*
 * and NDIS functions a user-mode test build of a callout driver links against. Injections always
 * succeed and their completions are queued; test_engine_deliver() runs them at DISPATCH_LEVEL, as a
 * DPC would, and FwpsInjectionHandleDestroy0 delivers the handle's pending completions before it
 * returns (it waits for them, as the page says).
 *
 * It is not a model of WFP: wfp-conform check judges the trace the driver's calls produce.
 */
#ifndef TEST_ENGINE_H
#define TEST_ENGINE_H

#include <stdlib.h>
#include "wfp_trace_usermode.h"
#include "wfp_trace.h"

/* The trace the driver records into (the completionFn reaches it through here). */
static wfp_trace *test_engine_trace;

typedef struct test_injection {
  HANDLE handle;
  NET_BUFFER_LIST *nbl;
  FWPS_INJECT_COMPLETE0 completion_fn;
  HANDLE completion_context;
} test_injection;

static test_injection test_queue[64];
static int test_queued;
static int test_handles_open;
static int test_handle_tags[8];
static int test_pool_tag;
/* Set: an injection's completionFn runs inside the inject call, before it returns (as an engine may). */
static int test_engine_inline;

/* Runs the queued completions, oldest first, at DISPATCH_LEVEL (of `handle` only, unless NULL). */
static __inline void test_engine_deliver_for(HANDLE handle) {
  int index = 0;
  while (index < test_queued) {
    test_injection injection = test_queue[index];
    if (handle != NULL && injection.handle != handle) {
      index++;
      continue;
    }
    memmove(&test_queue[index], &test_queue[index + 1], (size_t)(test_queued - index - 1) * sizeof test_queue[0]);
    test_queued--;
    wfp_trace_set_irql(test_engine_trace, DISPATCH_LEVEL);
    injection.nbl->Status = STATUS_SUCCESS;
    injection.completion_fn(injection.completion_context, injection.nbl, 1);
    wfp_trace_set_irql(test_engine_trace, PASSIVE_LEVEL);
  }
}
static __inline void test_engine_deliver(void) { test_engine_deliver_for(NULL); }

NTSTATUS FwpsInjectionHandleCreate0(ADDRESS_FAMILY addressFamily, UINT32 flags, HANDLE *injectionHandle) {
  (void)addressFamily;
  (void)flags;
  *injectionHandle = &test_handle_tags[test_handles_open++];
  return STATUS_SUCCESS;
}

NTSTATUS FwpsInjectionHandleDestroy0(HANDLE injectionHandle) {
  test_engine_deliver_for(injectionHandle);
  return STATUS_SUCCESS;
}

static __inline NTSTATUS test_queue_injection(HANDLE handle, NET_BUFFER_LIST *nbl, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  test_injection injection;
  if (test_queued == 64) return STATUS_INSUFFICIENT_RESOURCES;
  injection.handle = handle;
  injection.nbl = nbl;
  injection.completion_fn = completionFn;
  injection.completion_context = completionContext;
  test_queue[test_queued++] = injection;
  if (test_engine_inline) test_engine_deliver_for(handle);
  return STATUS_SUCCESS;
}

NTSTATUS FwpsInjectNetworkSendAsync0(HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, COMPARTMENT_ID compartmentId, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  (void)injectionContext;
  (void)flags;
  (void)compartmentId;
  return test_queue_injection(injectionHandle, netBufferList, completionFn, completionContext);
}

NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE ndisHandle, NET_BUFFER_LIST_POOL_PARAMETERS *parameters) {
  (void)ndisHandle;
  (void)parameters;
  return &test_pool_tag;
}

void NdisFreeNetBufferListPool(NDIS_HANDLE poolHandle) { (void)poolHandle; }

NTSTATUS FwpsAllocateNetBufferAndNetBufferList0(NDIS_HANDLE poolHandle, USHORT contextSize, USHORT contextBackFill, MDL *mdlChain, ULONG dataOffset, SIZE_T dataLength, NET_BUFFER_LIST **netBufferList) {
  NET_BUFFER_LIST *nbl = (NET_BUFFER_LIST *)calloc(1, sizeof *nbl);
  (void)poolHandle;
  (void)contextSize;
  (void)contextBackFill;
  (void)mdlChain;
  (void)dataOffset;
  (void)dataLength;
  if (nbl == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  nbl->NetBufferCount = 1;
  *netBufferList = nbl;
  return STATUS_SUCCESS;
}

NTSTATUS FwpsAllocateCloneNetBufferList0(NET_BUFFER_LIST *originalNetBufferList, NDIS_HANDLE netBufferListPoolHandle, NDIS_HANDLE netBufferPoolHandle, ULONG allocateCloneFlags, NET_BUFFER_LIST **netBufferList) {
  NET_BUFFER_LIST *clone = (NET_BUFFER_LIST *)calloc(1, sizeof *clone);
  (void)netBufferListPoolHandle;
  (void)netBufferPoolHandle;
  (void)allocateCloneFlags;
  if (clone == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  clone->NetBufferCount = originalNetBufferList->NetBufferCount;
  *netBufferList = clone;
  return STATUS_SUCCESS;
}

void FwpsFreeCloneNetBufferList0(NET_BUFFER_LIST *netBufferList, ULONG freeCloneFlags) {
  (void)freeCloneFlags;
  free(netBufferList);
}

void FwpsFreeNetBufferList0(NET_BUFFER_LIST *netBufferList) { free(netBufferList); }

FWPS_PACKET_INJECTION_STATE FwpsQueryPacketInjectionState0(HANDLE injectionHandle, const NET_BUFFER_LIST *netBufferList, HANDLE *injectionContext) {
  (void)injectionHandle;
  (void)netBufferList;
  if (injectionContext != NULL) *injectionContext = NULL;
  return FWPS_PACKET_NOT_INJECTED;
}

#endif
