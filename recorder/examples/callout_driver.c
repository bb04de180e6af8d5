/*
 * callout_driver.c - a small callout driver, built in user mode against a test double of the
 * engine (test_engine.h), every WFP call going through the trace recorder (wfp_trace.h). It prints
 * the trace on standard output: `npm run recorder:demo`, or
 *
 *   gcc -Irecorder/include -o demo recorder/examples/callout_driver.c && ./demo > trace.jsonl
 *   npx wfp-conform check trace.jsonl
 *
 * What the driver does: at load, an injection handle for IPv4 network injection and an NBL pool;
 * its classifyFn at the outbound IP packet layer lets packets it injected itself pass, and
 * re-injects a clone of every other one (the original is absorbed); it also sends a packet of its
 * own, built with FwpsAllocateNetBufferAndNetBufferList0. Each injection's completionFn frees what
 * it was given. At unload it destroys the handle (which waits for pending completions) and frees
 * the pool. This driver follows the documented rules: `check` says it conforms.
 */
#include <stdio.h>
#include "test_engine.h"

static wfp_trace trace;
static HANDLE injection_handle;
static NDIS_HANDLE nbl_pool;
static int clone_context_tag, own_context_tag;

/* FWPS_INJECT_COMPLETE0: the clone (or our own packet) is back: free it. */
static void inject_complete(void *context, NET_BUFFER_LIST *nbl, BOOLEAN dispatchLevel) {
  wfp_trace_completion_begin(&trace, context, nbl, dispatchLevel);
  if (context == &clone_context_tag) wfp_trace_FwpsFreeCloneNetBufferList0(&trace, nbl, 0);
  else wfp_trace_FwpsFreeNetBufferList0(&trace, nbl);
  wfp_trace_completion_end(&trace);
}

static NTSTATUS driver_entry(void) {
  NTSTATUS status = wfp_trace_FwpsInjectionHandleCreate0(&trace, AF_INET, FWPS_INJECTION_TYPE_NETWORK, &injection_handle);
  if (!NT_SUCCESS(status)) return status;
  nbl_pool = wfp_trace_NdisAllocateNetBufferListPool(&trace, NULL, NULL);
  if (nbl_pool == NULL) {
    wfp_trace_FwpsInjectionHandleDestroy0(&trace, injection_handle);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  return STATUS_SUCCESS;
}

/* The classifyFn at FWPS_LAYER_OUTBOUND_IPPACKET_V4, for one indicated packet. */
static void classify_outbound(NET_BUFFER_LIST *packet) {
  NET_BUFFER_LIST *clone = NULL;
  wfp_trace_packet_indicated(&trace, FWPS_LAYER_OUTBOUND_IPPACKET_V4, packet, 4, 1);
  if (wfp_trace_FwpsQueryPacketInjectionState0(&trace, injection_handle, packet, NULL) == FWPS_PACKET_INJECTED_BY_SELF) {
    wfp_trace_classify_end(&trace); /* permit: our own packet */
    return;
  }
  if (NT_SUCCESS(wfp_trace_FwpsAllocateCloneNetBufferList0(&trace, packet, NULL, NULL, 0, &clone))) {
    NTSTATUS status = wfp_trace_FwpsInjectNetworkSendAsync0(&trace, injection_handle, NULL, 0, 0, clone, inject_complete, &clone_context_tag);
    if (!NT_SUCCESS(status)) wfp_trace_FwpsFreeCloneNetBufferList0(&trace, clone, 0); /* failed: still ours */
  }
  wfp_trace_classify_end(&trace); /* block and absorb the original */
}

static void send_own_packet(void) {
  static MDL payload = {NULL, 64};
  NET_BUFFER_LIST *nbl = NULL;
  if (!NT_SUCCESS(wfp_trace_FwpsAllocateNetBufferAndNetBufferList0(&trace, nbl_pool, 0, 0, &payload, 0, 64, &nbl))) return;
  if (!NT_SUCCESS(wfp_trace_FwpsInjectNetworkSendAsync0(&trace, injection_handle, NULL, 0, 0, nbl, inject_complete, &own_context_tag))) wfp_trace_FwpsFreeNetBufferList0(&trace, nbl);
}

static void driver_unload(void) {
  wfp_trace_FwpsInjectionHandleDestroy0(&trace, injection_handle); /* waits for pending completions */
  wfp_trace_NdisFreeNetBufferListPool(&trace, nbl_pool);
  wfp_trace_driver_unload(&trace);
}

int main(void) {
  NET_BUFFER_LIST packets[2] = {{NULL, 0, 1}, {NULL, 0, 1}};
  wfp_trace_init_file(&trace, stdout);
  test_engine_trace = &trace;
  wfp_trace_comment(&trace, "recorded by recorder/examples/callout_driver.c through wfp_trace.h");
  if (!NT_SUCCESS(driver_entry())) return 1;
  classify_outbound(&packets[0]);
  send_own_packet();
  test_engine_deliver(); /* the engine's DPC: two completions */
  classify_outbound(&packets[1]);
  driver_unload(); /* the last clone's completion runs inside the destroy */
  return trace.overflow ? 1 : 0;
}
