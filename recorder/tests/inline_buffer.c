/*
 * inline_buffer.c - the recorder into a memory buffer, with an engine that runs completionFns
 * inside the inject call: the trace must still read call, then completion, then the calls made in
 * the completionFn. Prints the buffer (recorder/recorder.test.ts checks it).
 */
#include <stdio.h>
#include "../examples/test_engine.h"

static wfp_trace trace;
static char buffer[8192];

static void inject_complete(void *context, NET_BUFFER_LIST *nbl, BOOLEAN dispatchLevel) {
  wfp_trace_completion_begin(&trace, context, nbl, dispatchLevel);
  wfp_trace_FwpsFreeNetBufferList0(&trace, nbl);
  wfp_trace_completion_end(&trace);
}

int main(void) {
  static MDL payload = {NULL, 100};
  static int context_tag;
  HANDLE handle;
  NDIS_HANDLE pool;
  NET_BUFFER_LIST *nbl = NULL;
  wfp_trace_init_buffer(&trace, buffer, sizeof buffer);
  test_engine_trace = &trace;
  test_engine_inline = 1;
  if (!NT_SUCCESS(wfp_trace_FwpsInjectionHandleCreate0(&trace, AF_INET, FWPS_INJECTION_TYPE_NETWORK, &handle))) return 1;
  pool = wfp_trace_NdisAllocateNetBufferListPool(&trace, NULL, NULL);
  if (!NT_SUCCESS(wfp_trace_FwpsAllocateNetBufferAndNetBufferList0(&trace, pool, 0, 0, &payload, 0, 100, &nbl))) return 1;
  if (!NT_SUCCESS(wfp_trace_FwpsInjectNetworkSendAsync0(&trace, handle, NULL, 0, 0, nbl, inject_complete, &context_tag))) return 1;
  wfp_trace_FwpsInjectionHandleDestroy0(&trace, handle);
  wfp_trace_NdisFreeNetBufferListPool(&trace, pool);
  wfp_trace_driver_unload(&trace);
  if (trace.overflow) return 2;
  fputs(buffer, stdout);
  return 0;
}
