/*
 * buggy_driver.c - the same kind of callout driver as callout_driver.c, with a bug drivers do
 * have: it frees the clone right after FwpsInjectNetworkSendAsync0 accepted it, while the injection
 * is still in flight (and again in its completionFn). `wfp-conform check` on its trace reports a
 * caller violation at the line of the early free.
 *
 *   gcc -Irecorder/include -o buggy recorder/examples/buggy_driver.c && ./buggy | npx wfp-conform check -
 */
#include <stdio.h>
#include "test_engine.h"

static wfp_trace trace;
static HANDLE injection_handle;

static void inject_complete(void *context, NET_BUFFER_LIST *nbl, BOOLEAN dispatchLevel) {
  wfp_trace_completion_begin(&trace, context, nbl, dispatchLevel);
  wfp_trace_FwpsFreeCloneNetBufferList0(&trace, nbl, 0);
  wfp_trace_completion_end(&trace);
}

int main(void) {
  static NET_BUFFER_LIST packet = {NULL, 0, 1};
  static int context_tag;
  NET_BUFFER_LIST *clone = NULL;
  NET_BUFFER_LIST stale;
  wfp_trace_init_file(&trace, stdout);
  test_engine_trace = &trace;
  wfp_trace_comment(&trace, "recorded by recorder/examples/buggy_driver.c: frees a clone that is in flight");
  if (!NT_SUCCESS(wfp_trace_FwpsInjectionHandleCreate0(&trace, AF_INET, FWPS_INJECTION_TYPE_NETWORK, &injection_handle))) return 1;
  wfp_trace_packet_indicated(&trace, FWPS_LAYER_OUTBOUND_IPPACKET_V4, &packet, 4, 1);
  if (NT_SUCCESS(wfp_trace_FwpsAllocateCloneNetBufferList0(&trace, &packet, NULL, NULL, 0, &clone))) {
    if (NT_SUCCESS(wfp_trace_FwpsInjectNetworkSendAsync0(&trace, injection_handle, NULL, 0, 0, clone, inject_complete, &context_tag))) {
      /* BUG: the clone belongs to the engine until its completionFn runs. (The test double keeps
         using it, so it is copied first: a real engine would touch freed memory.) */
      stale = *clone;
      wfp_trace_FwpsFreeCloneNetBufferList0(&trace, clone, 0);
      (void)stale;
    }
  }
  wfp_trace_classify_end(&trace);
  wfp_trace_FwpsInjectionHandleDestroy0(&trace, injection_handle);
  wfp_trace_driver_unload(&trace);
  return 0;
}
