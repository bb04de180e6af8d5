/*
 * wfp_trace.h - a header-only recorder of the WFP packet-injection calls a callout driver makes,
 * writing wfp-conformance's trace format (JSON Lines, one event per line; `wfp-conform schema`
 * prints it) into a memory buffer or a FILE, for `wfp-conform check` to judge.
 *
 *   - Call `wfp_trace_Fwps...(&trace, ...)` where the driver calls `Fwps...`: the wrapper calls the
 *     real function and records the call with its arguments and what it returned. Pointers become
 *     symbolic ids (h1, nbl1, pool1, ctx1, ...), NULL becomes null.
 *   - Call `wfp_trace_completion_begin` first thing in the driver's completionFn (and
 *     `wfp_trace_completion_end` before it returns), `wfp_trace_classify_begin` / `_end` around the
 *     classifyFn's work, and the environment events (`wfp_trace_ale_classify`,
 *     `wfp_trace_stream_indicated`, `wfp_trace_packet_indicated`, `wfp_trace_tcpip_stack`,
 *     `wfp_trace_resources`, `wfp_trace_driver_unload`) where the stack does those things.
 *
 * Order: a call's line is written when it returns. Events that happen while a call is in progress
 * (a completionFn the engine calls inline, say) are held and written after it, so the trace reads
 * as the model expects; a FwpsInjectionHandleDestroy0 is written when it starts (it may block while
 * completions run) and its return as a `return` event.
 *
 * Build settings (define before including):
 *   WFP_TRACE_CURRENT_IRQL()  the current IRQL; a kernel build: #define WFP_TRACE_CURRENT_IRQL() KeGetCurrentIrql().
 *                             Default: the value set with wfp_trace_set_irql (a user-mode test build).
 *   WFP_TRACE_NO_STDIO        no FILE output (a kernel build): buffer only.
 *   WFP_TRACE_LOCK(t) / WFP_TRACE_UNLOCK(t)  a lock around each record, when several threads use one
 *                             trace (a kernel spin lock); default none.
 *   WFP_TRACE_MAX_IDS         pointers the id table holds (default 1024).
 *
 * Include the WFP declarations first: <fwpsk.h> in a driver, "wfp_trace_usermode.h" in a user-mode
 * test build. Part of wfp-conformance (MIT license).
 */
#ifndef WFP_TRACE_H
#define WFP_TRACE_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#ifndef WFP_TRACE_NO_STDIO
#include <stdio.h>
#endif

#ifndef WFP_TRACE_MAX_IDS
#define WFP_TRACE_MAX_IDS 1024
#endif
#ifndef WFP_TRACE_LOCK
#define WFP_TRACE_LOCK(t) ((void)(t))
#define WFP_TRACE_UNLOCK(t) ((void)(t))
#endif
#ifndef WFP_TRACE_INLINE
#define WFP_TRACE_INLINE static __inline
#endif
#define WFP_TRACE_LINE_MAX 1024
#define WFP_TRACE_HELD_MAX 16384
#define WFP_TRACE_DEPTH_MAX 8

typedef struct wfp_trace_id {
  const void *pointer;
  const char *prefix;
  unsigned number;
} wfp_trace_id;

/* Where the driver's code is running: a thread or DPC, a classifyFn, or a completionFn. */
typedef struct wfp_trace_site {
  int kind; /* 0 thread, 1 classify, 2 completionFn */
  const char *layer;
} wfp_trace_site;

typedef struct wfp_trace {
#ifndef WFP_TRACE_NO_STDIO
  FILE *file;
#endif
  char *buffer;
  size_t capacity;
  size_t length;
  /* Set when a line did not fit (buffer full, line too long): the trace is incomplete. */
  int overflow;
  unsigned irql;
  wfp_trace_id ids[WFP_TRACE_MAX_IDS];
  size_t id_count;
  unsigned counters[8];
  unsigned next_call;
  wfp_trace_site sites[WFP_TRACE_DEPTH_MAX];
  int site_depth;
  /* Calls in progress whose lines are written on return; events meanwhile are held. */
  int calls_in_progress;
  char held[WFP_TRACE_HELD_MAX];
  size_t held_length;
  char line[WFP_TRACE_LINE_MAX];
  size_t line_length;
} wfp_trace;

/* ---- writing -------------------------------------------------------------------------------- */

WFP_TRACE_INLINE void wfp__emit(wfp_trace *t, const char *text, size_t length) {
#ifndef WFP_TRACE_NO_STDIO
  if (t->file != NULL) {
    fwrite(text, 1, length, t->file);
    return;
  }
#endif
  if (t->buffer == NULL || t->length + length + 1 > t->capacity) {
    t->overflow = 1;
    return;
  }
  memcpy(t->buffer + t->length, text, length);
  t->length += length;
  t->buffer[t->length] = '\0';
}

WFP_TRACE_INLINE void wfp__flush_held(wfp_trace *t) {
  if (t->held_length > 0) wfp__emit(t, t->held, t->held_length);
  t->held_length = 0;
}

WFP_TRACE_INLINE void wfp__add(wfp_trace *t, const char *format, ...) {
  va_list args;
  int written;
  size_t room = WFP_TRACE_LINE_MAX - t->line_length;
  va_start(args, format);
  written = vsnprintf(t->line + t->line_length, room, format, args);
  va_end(args);
  if (written < 0 || (size_t)written >= room) {
    t->overflow = 1;
    return;
  }
  t->line_length += (size_t)written;
}

WFP_TRACE_INLINE void wfp__start(wfp_trace *t) { t->line_length = 0; }

/* Ends the line: held while a call is in progress, written otherwise. */
WFP_TRACE_INLINE void wfp__finish(wfp_trace *t, int hold) {
  wfp__add(t, "}\n");
  if (hold && t->calls_in_progress > 0) {
    if (t->held_length + t->line_length > WFP_TRACE_HELD_MAX) {
      t->overflow = 1;
      return;
    }
    memcpy(t->held + t->held_length, t->line, t->line_length);
    t->held_length += t->line_length;
    return;
  }
  wfp__emit(t, t->line, t->line_length);
}

/* ---- names ---------------------------------------------------------------------------------- */

static const char *wfp__irql_name(unsigned irql) {
  switch (irql) {
    case PASSIVE_LEVEL: return "PASSIVE_LEVEL";
    case APC_LEVEL: return "APC_LEVEL";
    case DISPATCH_LEVEL: return "DISPATCH_LEVEL";
    default: return "DIRQL";
  }
}

#ifndef WFP_TRACE_CURRENT_IRQL
#define WFP_TRACE_CURRENT_IRQL() (t->irql)
#endif

WFP_TRACE_INLINE void wfp__status(wfp_trace *t, NTSTATUS status) {
  const char *name = NULL;
  switch (status) {
    case STATUS_SUCCESS: name = "STATUS_SUCCESS"; break;
    case STATUS_UNSUCCESSFUL: name = "STATUS_UNSUCCESSFUL"; break;
    case STATUS_INVALID_PARAMETER: name = "STATUS_INVALID_PARAMETER"; break;
    case STATUS_INSUFFICIENT_RESOURCES: name = "STATUS_INSUFFICIENT_RESOURCES"; break;
    case STATUS_FWP_NULL_POINTER: name = "STATUS_FWP_NULL_POINTER"; break;
    case STATUS_FWP_INVALID_PARAMETER: name = "STATUS_FWP_INVALID_PARAMETER"; break;
    case STATUS_FWP_TCPIP_NOT_READY: name = "STATUS_FWP_TCPIP_NOT_READY"; break;
    case STATUS_FWP_INJECT_HANDLE_CLOSING: name = "STATUS_FWP_INJECT_HANDLE_CLOSING"; break;
    case STATUS_FWP_INJECT_HANDLE_STALE: name = "STATUS_FWP_INJECT_HANDLE_STALE"; break;
    case STATUS_FWP_CANNOT_PEND: name = "STATUS_FWP_CANNOT_PEND"; break;
    default: break;
  }
  if (name != NULL) wfp__add(t, "\"%s\"", name);
  else wfp__add(t, "\"STATUS_CODE_%08lX\"", (unsigned long)(unsigned)status);
}

WFP_TRACE_INLINE void wfp__address_family(wfp_trace *t, ADDRESS_FAMILY family) {
  switch (family) {
    case AF_UNSPEC: wfp__add(t, "\"AF_UNSPEC\""); break;
    case AF_INET: wfp__add(t, "\"AF_INET\""); break;
    case AF_INET6: wfp__add(t, "\"AF_INET6\""); break;
    default: wfp__add(t, "\"AF_%u\"", (unsigned)family); break;
  }
}

/* Layer ids by their FWPS_BUILTIN_LAYERS names, so that the values come from the build's own headers. */
WFP_TRACE_INLINE void wfp__layer(wfp_trace *t, unsigned layer) {
#define WFP__LAYER(name) case name: wfp__add(t, "\"" #name "\""); return;
  switch (layer) {
    WFP__LAYER(FWPS_LAYER_STREAM_V4) WFP__LAYER(FWPS_LAYER_STREAM_V6)
    WFP__LAYER(FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V4) WFP__LAYER(FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V6)
    WFP__LAYER(FWPS_LAYER_ALE_AUTH_LISTEN_V4) WFP__LAYER(FWPS_LAYER_ALE_AUTH_LISTEN_V6)
    WFP__LAYER(FWPS_LAYER_ALE_AUTH_CONNECT_V4) WFP__LAYER(FWPS_LAYER_ALE_AUTH_CONNECT_V6)
    WFP__LAYER(FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4) WFP__LAYER(FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V6)
    WFP__LAYER(FWPS_LAYER_INBOUND_IPPACKET_V4) WFP__LAYER(FWPS_LAYER_INBOUND_IPPACKET_V6)
    WFP__LAYER(FWPS_LAYER_OUTBOUND_IPPACKET_V4) WFP__LAYER(FWPS_LAYER_OUTBOUND_IPPACKET_V6)
    WFP__LAYER(FWPS_LAYER_INBOUND_TRANSPORT_V4) WFP__LAYER(FWPS_LAYER_INBOUND_TRANSPORT_V6)
    WFP__LAYER(FWPS_LAYER_OUTBOUND_TRANSPORT_V4) WFP__LAYER(FWPS_LAYER_OUTBOUND_TRANSPORT_V6)
    WFP__LAYER(FWPS_LAYER_IPFORWARD_V4) WFP__LAYER(FWPS_LAYER_IPFORWARD_V6)
    default: wfp__add(t, "\"FWPS_LAYER_ID_%u\"", layer); return;
  }
#undef WFP__LAYER
}

WFP_TRACE_INLINE void wfp__flag_list(wfp_trace *t, UINT32 flags, const UINT32 *bits, const char *const *names, size_t count, const char *unknown) {
  size_t index;
  int first = 1;
  wfp__add(t, "[");
  for (index = 0; index < count; index++) {
    if ((flags & bits[index]) == 0) continue;
    wfp__add(t, first ? "\"%s\"" : ",\"%s\"", names[index]);
    flags &= ~bits[index];
    first = 0;
  }
  if (flags != 0) wfp__add(t, first ? "\"%s%X\"" : ",\"%s%X\"", unknown, (unsigned)flags);
  wfp__add(t, "]");
}

WFP_TRACE_INLINE void wfp__injection_types(wfp_trace *t, UINT32 flags) {
  static const UINT32 bits[] = {FWPS_INJECTION_TYPE_FORWARD, FWPS_INJECTION_TYPE_NETWORK, FWPS_INJECTION_TYPE_STREAM, FWPS_INJECTION_TYPE_TRANSPORT};
  static const char *const names[] = {"FWPS_INJECTION_TYPE_FORWARD", "FWPS_INJECTION_TYPE_NETWORK", "FWPS_INJECTION_TYPE_STREAM", "FWPS_INJECTION_TYPE_TRANSPORT"};
  wfp__flag_list(t, flags, bits, names, 4, "FWPS_INJECTION_TYPE_BITS_");
}

WFP_TRACE_INLINE void wfp__stream_flags(wfp_trace *t, UINT32 flags) {
  static const UINT32 bits[] = {FWPS_STREAM_FLAG_SEND, FWPS_STREAM_FLAG_SEND_EXPEDITED, FWPS_STREAM_FLAG_SEND_NODELAY, FWPS_STREAM_FLAG_SEND_DISCONNECT, FWPS_STREAM_FLAG_SEND_ABORT,
                                FWPS_STREAM_FLAG_RECEIVE, FWPS_STREAM_FLAG_RECEIVE_EXPEDITED, FWPS_STREAM_FLAG_RECEIVE_DISCONNECT, FWPS_STREAM_FLAG_RECEIVE_ABORT, FWPS_STREAM_FLAG_RECEIVE_PUSH};
  static const char *const names[] = {"FWPS_STREAM_FLAG_SEND", "FWPS_STREAM_FLAG_SEND_EXPEDITED", "FWPS_STREAM_FLAG_SEND_NODELAY", "FWPS_STREAM_FLAG_SEND_DISCONNECT", "FWPS_STREAM_FLAG_SEND_ABORT",
                                      "FWPS_STREAM_FLAG_RECEIVE", "FWPS_STREAM_FLAG_RECEIVE_EXPEDITED", "FWPS_STREAM_FLAG_RECEIVE_DISCONNECT", "FWPS_STREAM_FLAG_RECEIVE_ABORT", "FWPS_STREAM_FLAG_RECEIVE_PUSH"};
  wfp__flag_list(t, flags, bits, names, 10, "FWPS_STREAM_FLAG_BITS_");
}

/* ---- symbolic ids --------------------------------------------------------------------------- */

enum { WFP__HANDLE, WFP__NBL, WFP__POOL, WFP__CONTEXT, WFP__STREAM, WFP__COMPLETION_HANDLE, WFP__PEND, WFP__INJECTION_CONTEXT };
static const char *const wfp__prefixes[] = {"h", "nbl", "pool", "ctx", "sd", "ch", "pend", "ictx"};

/* The id of `pointer` among objects of `kind`, made on first sight; NULL is written as null. */
WFP_TRACE_INLINE void wfp__id(wfp_trace *t, int kind, const void *pointer) {
  size_t index;
  if (pointer == NULL) {
    wfp__add(t, "null");
    return;
  }
  for (index = 0; index < t->id_count; index++) {
    if (t->ids[index].pointer == pointer && t->ids[index].prefix == wfp__prefixes[kind]) {
      wfp__add(t, "\"%s%u\"", t->ids[index].prefix, t->ids[index].number);
      return;
    }
  }
  if (t->id_count == WFP_TRACE_MAX_IDS) {
    t->overflow = 1;
    wfp__add(t, "\"%s-overflow\"", wfp__prefixes[kind]);
    return;
  }
  t->ids[t->id_count].pointer = pointer;
  t->ids[t->id_count].prefix = wfp__prefixes[kind];
  t->ids[t->id_count].number = ++t->counters[kind];
  wfp__add(t, "\"%s%u\"", wfp__prefixes[kind], t->ids[t->id_count].number);
  t->id_count++;
}

/* A chain of NBLs, head first. */
WFP_TRACE_INLINE void wfp__chain(wfp_trace *t, const NET_BUFFER_LIST *head) {
  const NET_BUFFER_LIST *nbl;
  if (head == NULL) {
    wfp__add(t, "null");
    return;
  }
  wfp__add(t, "[");
  for (nbl = head; nbl != NULL; nbl = NET_BUFFER_LIST_NEXT_NBL((NET_BUFFER_LIST *)nbl)) {
    if (nbl != head) wfp__add(t, ",");
    wfp__id(t, WFP__NBL, nbl);
  }
  wfp__add(t, "]");
}

/* ---- calls ---------------------------------------------------------------------------------- */

WFP_TRACE_INLINE void wfp__call_head(wfp_trace *t, const char *fn, const char *call_id) {
  const wfp_trace_site *site = t->site_depth > 0 ? &t->sites[t->site_depth - 1] : NULL;
  wfp__start(t);
  wfp__add(t, "{\"kind\":\"call\",");
  if (call_id != NULL) wfp__add(t, "\"callId\":\"%s\",", call_id);
  wfp__add(t, "\"fn\":\"%s\",\"irql\":\"%s\"", fn, wfp__irql_name((unsigned)WFP_TRACE_CURRENT_IRQL()));
  if (site != NULL && site->kind == 1) {
    wfp__add(t, ",\"from\":{\"kind\":\"classify\",\"layerId\":");
    wfp__add(t, "%s", site->layer);
    wfp__add(t, "}");
  } else if (site != NULL && site->kind == 2) {
    wfp__add(t, ",\"from\":{\"kind\":\"completionFn\"}");
  }
  wfp__add(t, ",\"args\":{");
}

/* A call starts: events until it returns are held. The line itself is made when it returns. */
WFP_TRACE_INLINE void wfp__enter(wfp_trace *t) {
  WFP_TRACE_LOCK(t);
  t->calls_in_progress++;
  WFP_TRACE_UNLOCK(t);
}

WFP_TRACE_INLINE void wfp__end_call(wfp_trace *t) {
  /* Closes {"kind":"call",... with the caller having added ,"ret":{...} */
  wfp__add(t, "}\n");
  t->calls_in_progress--;
  if (t->calls_in_progress == 0) {
    wfp__emit(t, t->line, t->line_length);
    wfp__flush_held(t);
  } else {
    if (t->held_length + t->line_length > WFP_TRACE_HELD_MAX) t->overflow = 1;
    else {
      memcpy(t->held + t->held_length, t->line, t->line_length);
      t->held_length += t->line_length;
    }
  }
  WFP_TRACE_UNLOCK(t);
}

WFP_TRACE_INLINE void wfp__inject_common(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, FWPS_INJECT_COMPLETE0 completionFn, const void *completionContext) {
  wfp__add(t, "\"injectionHandle\":");
  wfp__id(t, WFP__HANDLE, injectionHandle);
  wfp__add(t, ",\"injectionContext\":");
  wfp__id(t, WFP__INJECTION_CONTEXT, injectionContext);
  wfp__add(t, ",\"flags\":%u,\"completionFn\":%s,\"completionContext\":", (unsigned)flags, completionFn == NULL ? "null" : "\"completionFn\"");
  wfp__id(t, WFP__CONTEXT, completionContext);
}

WFP_TRACE_INLINE void wfp__ret_status(wfp_trace *t, NTSTATUS status) {
  wfp__add(t, "},\"ret\":{\"status\":");
  wfp__status(t, status);
  wfp__add(t, "}");
}

/* ---- setup ---------------------------------------------------------------------------------- */

/* Records into `buffer` (NUL-terminated as it grows); `overflow` is set if it fills up. */
WFP_TRACE_INLINE void wfp_trace_init_buffer(wfp_trace *t, char *buffer, size_t capacity) {
  memset(t, 0, sizeof *t);
  t->buffer = buffer;
  t->capacity = capacity;
  if (buffer != NULL && capacity > 0) buffer[0] = '\0';
  t->irql = PASSIVE_LEVEL;
}

#ifndef WFP_TRACE_NO_STDIO
/* Records into an open FILE, a line at a time. */
WFP_TRACE_INLINE void wfp_trace_init_file(wfp_trace *t, FILE *file) {
  wfp_trace_init_buffer(t, NULL, 0);
  t->file = file;
}
#endif

/* The IRQL the driver runs at now (a user-mode test build tells it; a kernel build uses KeGetCurrentIrql). */
WFP_TRACE_INLINE void wfp_trace_set_irql(wfp_trace *t, unsigned irql) { t->irql = irql; }

/* A comment line (skipped by the readers): a note for whoever reads the trace. */
WFP_TRACE_INLINE void wfp_trace_comment(wfp_trace *t, const char *text) {
  WFP_TRACE_LOCK(t);
  wfp__start(t);
  wfp__add(t, "# %s\n", text);
  if (t->calls_in_progress > 0) {
    memcpy(t->held + t->held_length, t->line, t->line_length);
    t->held_length += t->line_length;
  } else wfp__emit(t, t->line, t->line_length);
  WFP_TRACE_UNLOCK(t);
}

/* ---- environment and engine events ---------------------------------------------------------- */

WFP_TRACE_INLINE void wfp__event(wfp_trace *t, const char *kind) {
  wfp__start(t);
  wfp__add(t, "{\"kind\":\"%s\"", kind);
}

WFP_TRACE_INLINE void wfp_trace_tcpip_stack(wfp_trace *t, int ready) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "tcpipStack");
  wfp__add(t, ",\"ready\":%s", ready ? "true" : "false");
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
}

WFP_TRACE_INLINE void wfp_trace_resources(wfp_trace *t, int exhausted) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "resources");
  wfp__add(t, ",\"exhausted\":%s", exhausted ? "true" : "false");
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
}

WFP_TRACE_INLINE void wfp_trace_driver_unload(wfp_trace *t) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "driverUnload");
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
}

WFP_TRACE_INLINE void wfp__push_site(wfp_trace *t, int kind, unsigned layer) {
  static char layers[WFP_TRACE_DEPTH_MAX][64];
  size_t saved = t->line_length;
  char copy[WFP_TRACE_LINE_MAX];
  if (t->site_depth == WFP_TRACE_DEPTH_MAX) {
    t->overflow = 1;
    return;
  }
  t->sites[t->site_depth].kind = kind;
  t->sites[t->site_depth].layer = NULL;
  if (kind == 1) {
    /* The layer's JSON name, made with the line builder. */
    memcpy(copy, t->line, saved);
    t->line_length = 0;
    wfp__layer(t, layer);
    t->line[t->line_length] = '\0';
    strncpy(layers[t->site_depth], t->line, sizeof layers[0] - 1);
    layers[t->site_depth][sizeof layers[0] - 1] = '\0';
    memcpy(t->line, copy, saved);
    t->line_length = saved;
    t->sites[t->site_depth].layer = layers[t->site_depth];
  }
  t->site_depth++;
}

/* The classifyFn of `layerId` starts: the calls until wfp_trace_classify_end are made from it. */
WFP_TRACE_INLINE void wfp_trace_classify_begin(wfp_trace *t, unsigned layerId) { wfp__push_site(t, 1, layerId); }
WFP_TRACE_INLINE void wfp_trace_classify_end(wfp_trace *t) { if (t->site_depth > 0) t->site_depth--; }

/* An ALE classify with a completion handle (the one FwpsPendOperation0 takes); starts the classifyFn. */
WFP_TRACE_INLINE void wfp_trace_ale_classify(wfp_trace *t, unsigned layerId, HANDLE completionHandle, int reauthorization, const NET_BUFFER_LIST *netBufferList) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "aleClassify");
  wfp__add(t, ",\"layerId\":");
  wfp__layer(t, layerId);
  wfp__add(t, ",\"completionHandle\":");
  wfp__id(t, WFP__COMPLETION_HANDLE, completionHandle);
  wfp__add(t, ",\"reauthorization\":%s", reauthorization ? "true" : "false");
  if (netBufferList != NULL) {
    wfp__add(t, ",\"netBufferList\":");
    wfp__id(t, WFP__NBL, netBufferList);
  }
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
  wfp_trace_classify_begin(t, layerId);
}

/* Stream data indicated to the classifyFn of a stream layer; starts the classifyFn. */
WFP_TRACE_INLINE void wfp_trace_stream_indicated(wfp_trace *t, unsigned layerId, UINT64 flowId, const FWPS_STREAM_DATA0 *streamData) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "streamIndicated");
  wfp__add(t, ",\"streamData\":");
  wfp__id(t, WFP__STREAM, streamData);
  wfp__add(t, ",\"layerId\":");
  wfp__layer(t, layerId);
  wfp__add(t, ",\"flowId\":\"flow%llu\",\"netBufferListChain\":", (unsigned long long)flowId);
  wfp__chain(t, streamData->netBufferListChain);
  wfp__add(t, ",\"dataLength\":%lu,\"streamFlags\":", (unsigned long)streamData->dataLength);
  wfp__stream_flags(t, streamData->flags);
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
  wfp_trace_classify_begin(t, layerId);
}

/* A packet indicated to a classifyFn (ipVersion 4 or 6, or 0 when unknown); starts the classifyFn. */
WFP_TRACE_INLINE void wfp_trace_packet_indicated(wfp_trace *t, unsigned layerId, const NET_BUFFER_LIST *netBufferList, int ipVersion, unsigned netBufferCount) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "packetIndicated");
  wfp__add(t, ",\"layerId\":");
  wfp__layer(t, layerId);
  wfp__add(t, ",\"netBufferList\":");
  wfp__id(t, WFP__NBL, netBufferList);
  if (ipVersion == 4 || ipVersion == 6) wfp__add(t, ",\"ipVersion\":%d", ipVersion);
  wfp__add(t, ",\"netBufferCount\":%u", netBufferCount == 0 ? 1u : netBufferCount);
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
  wfp_trace_classify_begin(t, layerId);
}

/* First thing in the driver's completionFn (FWPS_INJECT_COMPLETE0): records the completion; the calls until wfp_trace_completion_end are made from it. */
WFP_TRACE_INLINE void wfp_trace_completion_begin(wfp_trace *t, const void *completionContext, const NET_BUFFER_LIST *netBufferList, BOOLEAN dispatchLevel) {
  WFP_TRACE_LOCK(t);
  wfp__event(t, "completion");
  wfp__add(t, ",\"completionContext\":");
  wfp__id(t, WFP__CONTEXT, completionContext);
  wfp__add(t, ",\"netBufferList\":");
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__add(t, ",\"dispatchLevel\":%s,\"irql\":\"%s\",\"status\":", dispatchLevel ? "true" : "false", wfp__irql_name((unsigned)WFP_TRACE_CURRENT_IRQL()));
  wfp__status(t, netBufferList == NULL ? STATUS_SUCCESS : NET_BUFFER_LIST_STATUS((NET_BUFFER_LIST *)netBufferList));
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
  wfp__push_site(t, 2, 0);
}
WFP_TRACE_INLINE void wfp_trace_completion_end(wfp_trace *t) { if (t->site_depth > 0) t->site_depth--; }

/* ---- the wrapped functions ------------------------------------------------------------------ */

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectionHandleCreate0(wfp_trace *t, ADDRESS_FAMILY addressFamily, UINT32 flags, HANDLE *injectionHandle) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsInjectionHandleCreate0(addressFamily, flags, injectionHandle);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsInjectionHandleCreate0", NULL);
  wfp__add(t, "\"addressFamily\":");
  wfp__address_family(t, addressFamily);
  wfp__add(t, ",\"flags\":");
  wfp__injection_types(t, flags);
  wfp__add(t, "},\"ret\":{\"status\":");
  wfp__status(t, status);
  if (NT_SUCCESS(status) && injectionHandle != NULL) {
    wfp__add(t, ",\"injectionHandle\":");
    wfp__id(t, WFP__HANDLE, *injectionHandle);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return status;
}

/* Written when it starts (it blocks until the handle's pending injections complete), its return as a `return` event. */
WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectionHandleDestroy0(wfp_trace *t, HANDLE injectionHandle) {
  NTSTATUS status;
  char call_id[32];
  WFP_TRACE_LOCK(t);
  snprintf(call_id, sizeof call_id, "destroy%u", ++t->next_call);
  wfp__call_head(t, "FwpsInjectionHandleDestroy0", call_id);
  wfp__add(t, "\"injectionHandle\":");
  wfp__id(t, WFP__HANDLE, injectionHandle);
  wfp__add(t, "}");
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
  status = FwpsInjectionHandleDestroy0(injectionHandle);
  WFP_TRACE_LOCK(t);
  wfp__event(t, "return");
  wfp__add(t, ",\"callId\":\"%s\",\"ret\":{\"status\":", call_id);
  wfp__status(t, status);
  wfp__add(t, "}");
  wfp__finish(t, 1);
  WFP_TRACE_UNLOCK(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectNetworkSendAsync0(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, COMPARTMENT_ID compartmentId, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsInjectNetworkSendAsync0(injectionHandle, injectionContext, flags, compartmentId, netBufferList, completionFn, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsInjectNetworkSendAsync0", NULL);
  wfp__inject_common(t, injectionHandle, injectionContext, flags, completionFn, completionContext);
  wfp__add(t, ",\"compartmentId\":%u,\"netBufferList\":", (unsigned)compartmentId);
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__ret_status(t, status);
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectNetworkReceiveAsync0(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex, IF_INDEX subInterfaceIndex, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsInjectNetworkReceiveAsync0(injectionHandle, injectionContext, flags, compartmentId, interfaceIndex, subInterfaceIndex, netBufferList, completionFn, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsInjectNetworkReceiveAsync0", NULL);
  wfp__inject_common(t, injectionHandle, injectionContext, flags, completionFn, completionContext);
  wfp__add(t, ",\"compartmentId\":%u,\"interfaceIndex\":%u,\"subInterfaceIndex\":%u,\"netBufferList\":", (unsigned)compartmentId, (unsigned)interfaceIndex, (unsigned)subInterfaceIndex);
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__ret_status(t, status);
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectTransportSendAsync0(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, UINT64 endpointHandle, UINT32 flags, FWPS_TRANSPORT_SEND_PARAMS0 *sendArgs, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsInjectTransportSendAsync0(injectionHandle, injectionContext, endpointHandle, flags, sendArgs, addressFamily, compartmentId, netBufferList, completionFn, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsInjectTransportSendAsync0", NULL);
  wfp__inject_common(t, injectionHandle, injectionContext, flags, completionFn, completionContext);
  wfp__add(t, ",\"endpointHandle\":%llu,\"addressFamily\":", (unsigned long long)endpointHandle);
  wfp__address_family(t, addressFamily);
  wfp__add(t, ",\"compartmentId\":%u,\"netBufferList\":", (unsigned)compartmentId);
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__ret_status(t, status);
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectTransportReceiveAsync0(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, void *reserved, UINT32 flags, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex, IF_INDEX subInterfaceIndex, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsInjectTransportReceiveAsync0(injectionHandle, injectionContext, reserved, flags, addressFamily, compartmentId, interfaceIndex, subInterfaceIndex, netBufferList, completionFn, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsInjectTransportReceiveAsync0", NULL);
  wfp__inject_common(t, injectionHandle, injectionContext, flags, completionFn, completionContext);
  wfp__add(t, ",\"addressFamily\":");
  wfp__address_family(t, addressFamily);
  wfp__add(t, ",\"compartmentId\":%u,\"interfaceIndex\":%u,\"subInterfaceIndex\":%u,\"netBufferList\":", (unsigned)compartmentId, (unsigned)interfaceIndex, (unsigned)subInterfaceIndex);
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__ret_status(t, status);
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsInjectForwardAsync0(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsInjectForwardAsync0(injectionHandle, injectionContext, flags, addressFamily, compartmentId, interfaceIndex, netBufferList, completionFn, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsInjectForwardAsync0", NULL);
  wfp__inject_common(t, injectionHandle, injectionContext, flags, completionFn, completionContext);
  wfp__add(t, ",\"addressFamily\":");
  wfp__address_family(t, addressFamily);
  wfp__add(t, ",\"compartmentId\":%u,\"interfaceIndex\":%u,\"netBufferList\":", (unsigned)compartmentId, (unsigned)interfaceIndex);
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__ret_status(t, status);
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsStreamInjectAsync0(wfp_trace *t, HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, UINT64 flowId, UINT32 calloutId, UINT16 layerId, UINT32 streamFlags, NET_BUFFER_LIST *netBufferList, SIZE_T dataLength, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext) {
  NTSTATUS status;
  char chain[WFP_TRACE_LINE_MAX];
  size_t saved;
  /* The chain is recorded as linked at the call: the engine may unlink it. */
  WFP_TRACE_LOCK(t);
  saved = t->line_length;
  t->line_length = 0;
  wfp__chain(t, netBufferList);
  t->line[t->line_length] = '\0';
  memcpy(chain, t->line, t->line_length + 1);
  t->line_length = saved;
  WFP_TRACE_UNLOCK(t);
  wfp__enter(t);
  status = FwpsStreamInjectAsync0(injectionHandle, injectionContext, flags, flowId, calloutId, layerId, streamFlags, netBufferList, dataLength, completionFn, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsStreamInjectAsync0", NULL);
  wfp__inject_common(t, injectionHandle, injectionContext, flags, completionFn, completionContext);
  wfp__add(t, ",\"flowId\":\"flow%llu\",\"calloutId\":%u,\"layerId\":", (unsigned long long)flowId, (unsigned)calloutId);
  wfp__layer(t, layerId);
  wfp__add(t, ",\"streamFlags\":");
  wfp__stream_flags(t, streamFlags);
  wfp__add(t, ",\"netBufferList\":%s,\"dataLength\":%lu", chain, (unsigned long)dataLength);
  wfp__ret_status(t, status);
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NDIS_HANDLE wfp_trace_NdisAllocateNetBufferListPool(wfp_trace *t, NDIS_HANDLE ndisHandle, NET_BUFFER_LIST_POOL_PARAMETERS *parameters) {
  NDIS_HANDLE pool;
  wfp__enter(t);
  pool = NdisAllocateNetBufferListPool(ndisHandle, parameters);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "NdisAllocateNetBufferListPool", NULL);
  wfp__add(t, "},\"ret\":{\"status\":\"%s\"", pool != NULL ? "STATUS_SUCCESS" : "STATUS_INSUFFICIENT_RESOURCES");
  if (pool != NULL) {
    wfp__add(t, ",\"poolHandle\":");
    wfp__id(t, WFP__POOL, pool);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return pool;
}

WFP_TRACE_INLINE void wfp_trace_NdisFreeNetBufferListPool(wfp_trace *t, NDIS_HANDLE poolHandle) {
  wfp__enter(t);
  NdisFreeNetBufferListPool(poolHandle);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "NdisFreeNetBufferListPool", NULL);
  wfp__add(t, "\"poolHandle\":");
  wfp__id(t, WFP__POOL, poolHandle);
  wfp__add(t, "},\"ret\":{}");
  wfp__end_call(t);
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsAllocateNetBufferAndNetBufferList0(wfp_trace *t, NDIS_HANDLE poolHandle, USHORT contextSize, USHORT contextBackFill, MDL *mdlChain, ULONG dataOffset, SIZE_T dataLength, NET_BUFFER_LIST **netBufferList) {
  NTSTATUS status;
  unsigned long bytes = 0;
  const MDL *mdl;
  for (mdl = mdlChain; mdl != NULL; mdl = mdl->Next) bytes += (unsigned long)MmGetMdlByteCount((MDL *)mdl);
  wfp__enter(t);
  status = FwpsAllocateNetBufferAndNetBufferList0(poolHandle, contextSize, contextBackFill, mdlChain, dataOffset, dataLength, netBufferList);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsAllocateNetBufferAndNetBufferList0", NULL);
  wfp__add(t, "\"poolHandle\":");
  wfp__id(t, WFP__POOL, poolHandle);
  wfp__add(t, ",\"contextSize\":%u,\"contextBackFill\":%u,\"mdlChain\":", (unsigned)contextSize, (unsigned)contextBackFill);
  if (mdlChain == NULL) wfp__add(t, "null");
  else wfp__add(t, "{\"byteCount\":%lu}", bytes);
  wfp__add(t, ",\"dataOffset\":%lu,\"dataLength\":%lu},\"ret\":{\"status\":", (unsigned long)dataOffset, (unsigned long)dataLength);
  wfp__status(t, status);
  if (NT_SUCCESS(status) && netBufferList != NULL) {
    wfp__add(t, ",\"netBufferList\":");
    wfp__id(t, WFP__NBL, *netBufferList);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsAllocateCloneNetBufferList0(wfp_trace *t, NET_BUFFER_LIST *originalNetBufferList, NDIS_HANDLE netBufferListPoolHandle, NDIS_HANDLE netBufferPoolHandle, ULONG allocateCloneFlags, NET_BUFFER_LIST **netBufferList) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsAllocateCloneNetBufferList0(originalNetBufferList, netBufferListPoolHandle, netBufferPoolHandle, allocateCloneFlags, netBufferList);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsAllocateCloneNetBufferList0", NULL);
  wfp__add(t, "\"originalNetBufferList\":");
  wfp__id(t, WFP__NBL, originalNetBufferList);
  wfp__add(t, ",\"netBufferListPoolHandle\":");
  wfp__id(t, WFP__POOL, netBufferListPoolHandle);
  wfp__add(t, ",\"netBufferPoolHandle\":");
  wfp__id(t, WFP__POOL, netBufferPoolHandle);
  wfp__add(t, ",\"allocateCloneFlags\":%lu},\"ret\":{\"status\":", (unsigned long)allocateCloneFlags);
  wfp__status(t, status);
  if (NT_SUCCESS(status) && netBufferList != NULL) {
    wfp__add(t, ",\"netBufferList\":");
    wfp__id(t, WFP__NBL, *netBufferList);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsCloneStreamData0(wfp_trace *t, FWPS_STREAM_DATA0 *calloutStreamData, NDIS_HANDLE netBufferListPoolHandle, NDIS_HANDLE netBufferPoolHandle, ULONG allocateCloneFlags, NET_BUFFER_LIST **netBufferListChain) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsCloneStreamData0(calloutStreamData, netBufferListPoolHandle, netBufferPoolHandle, allocateCloneFlags, netBufferListChain);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsCloneStreamData0", NULL);
  wfp__add(t, "\"calloutStreamData\":");
  wfp__id(t, WFP__STREAM, calloutStreamData);
  wfp__add(t, ",\"netBufferListPoolHandle\":");
  wfp__id(t, WFP__POOL, netBufferListPoolHandle);
  wfp__add(t, ",\"netBufferPoolHandle\":");
  wfp__id(t, WFP__POOL, netBufferPoolHandle);
  wfp__add(t, ",\"allocateCloneFlags\":%lu},\"ret\":{\"status\":", (unsigned long)allocateCloneFlags);
  wfp__status(t, status);
  if (NT_SUCCESS(status) && netBufferListChain != NULL && *netBufferListChain != NULL) {
    wfp__add(t, ",\"netBufferListChain\":");
    wfp__chain(t, *netBufferListChain);
    if (calloutStreamData != NULL) wfp__add(t, ",\"dataLength\":%lu", (unsigned long)calloutStreamData->dataLength);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE void wfp_trace_FwpsFreeCloneNetBufferList0(wfp_trace *t, NET_BUFFER_LIST *netBufferList, ULONG freeCloneFlags) {
  wfp__enter(t);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsFreeCloneNetBufferList0", NULL);
  wfp__add(t, "\"netBufferList\":");
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__add(t, ",\"freeCloneFlags\":%lu},\"ret\":{}", (unsigned long)freeCloneFlags);
  WFP_TRACE_UNLOCK(t);
  FwpsFreeCloneNetBufferList0(netBufferList, freeCloneFlags);
  WFP_TRACE_LOCK(t);
  wfp__end_call(t);
}

WFP_TRACE_INLINE void wfp_trace_FwpsFreeNetBufferList0(wfp_trace *t, NET_BUFFER_LIST *netBufferList) {
  /* The line is made before the call: the NBL's memory may be reused right after. */
  wfp__enter(t);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsFreeNetBufferList0", NULL);
  wfp__add(t, "\"netBufferList\":");
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__add(t, "},\"ret\":{}");
  WFP_TRACE_UNLOCK(t);
  FwpsFreeNetBufferList0(netBufferList);
  WFP_TRACE_LOCK(t);
  wfp__end_call(t);
}

WFP_TRACE_INLINE void wfp_trace_FwpsDiscardClonedStreamData0(wfp_trace *t, NET_BUFFER_LIST *clonedNetBufferListChain, UINT32 allocateCloneFlags, BOOLEAN dispatchLevel) {
  wfp__enter(t);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsDiscardClonedStreamData0", NULL);
  wfp__add(t, "\"clonedNetBufferListChain\":");
  wfp__chain(t, clonedNetBufferListChain);
  wfp__add(t, ",\"allocateCloneFlags\":%u,\"dispatchLevel\":%s},\"ret\":{}", (unsigned)allocateCloneFlags, dispatchLevel ? "true" : "false");
  WFP_TRACE_UNLOCK(t);
  FwpsDiscardClonedStreamData0(clonedNetBufferListChain, allocateCloneFlags, dispatchLevel);
  WFP_TRACE_LOCK(t);
  wfp__end_call(t);
}

WFP_TRACE_INLINE NTSTATUS wfp_trace_FwpsPendOperation0(wfp_trace *t, HANDLE completionHandle, HANDLE *completionContext) {
  NTSTATUS status;
  wfp__enter(t);
  status = FwpsPendOperation0(completionHandle, completionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsPendOperation0", NULL);
  wfp__add(t, "\"completionHandle\":");
  wfp__id(t, WFP__COMPLETION_HANDLE, completionHandle);
  wfp__add(t, "},\"ret\":{\"status\":");
  wfp__status(t, status);
  if (NT_SUCCESS(status) && completionContext != NULL) {
    wfp__add(t, ",\"completionContext\":");
    wfp__id(t, WFP__PEND, *completionContext);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return status;
}

WFP_TRACE_INLINE void wfp_trace_FwpsCompleteOperation0(wfp_trace *t, HANDLE completionContext, NET_BUFFER_LIST *netBufferList) {
  wfp__enter(t);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsCompleteOperation0", NULL);
  wfp__add(t, "\"completionContext\":");
  wfp__id(t, WFP__PEND, completionContext);
  wfp__add(t, ",\"netBufferList\":");
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__add(t, "},\"ret\":{}");
  WFP_TRACE_UNLOCK(t);
  FwpsCompleteOperation0(completionContext, netBufferList);
  WFP_TRACE_LOCK(t);
  wfp__end_call(t);
}

WFP_TRACE_INLINE FWPS_PACKET_INJECTION_STATE wfp_trace_FwpsQueryPacketInjectionState0(wfp_trace *t, HANDLE injectionHandle, const NET_BUFFER_LIST *netBufferList, HANDLE *injectionContext) {
  static const char *const states[] = {"FWPS_PACKET_NOT_INJECTED", "FWPS_PACKET_INJECTED_BY_SELF", "FWPS_PACKET_INJECTED_BY_OTHER", "FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF"};
  FWPS_PACKET_INJECTION_STATE state;
  wfp__enter(t);
  state = FwpsQueryPacketInjectionState0(injectionHandle, netBufferList, injectionContext);
  WFP_TRACE_LOCK(t);
  wfp__call_head(t, "FwpsQueryPacketInjectionState0", NULL);
  wfp__add(t, "\"injectionHandle\":");
  wfp__id(t, WFP__HANDLE, injectionHandle);
  wfp__add(t, ",\"netBufferList\":");
  wfp__id(t, WFP__NBL, netBufferList);
  wfp__add(t, "},\"ret\":{\"injectionState\":\"%s\"", (unsigned)state < 4 ? states[state] : "FWPS_PACKET_NOT_INJECTED");
  if (injectionContext != NULL && (state == FWPS_PACKET_INJECTED_BY_SELF || state == FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF)) {
    wfp__add(t, ",\"injectionContext\":");
    wfp__id(t, WFP__INJECTION_CONTEXT, *injectionContext);
  }
  wfp__add(t, "}");
  wfp__end_call(t);
  return state;
}

#endif /* WFP_TRACE_H */
