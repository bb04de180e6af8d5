/*
 * wfp_trace_usermode.h - the WFP, NDIS and NTSTATUS declarations wfp_trace.h needs, for a user-mode
 * test build of a callout driver (one that links the driver's code against a test double of the
 * filter engine instead of the kernel). A kernel build includes <fwpsk.h> (and <ndis.h>) instead.
 *
 * Only the names matter to the recorder: the values below are not the kernel's, so a trace
 * recorded in a user-mode build names statuses, layers and flags correctly as long as the driver
 * code and its test double both use these names.
 *
 * Part of wfp-conformance (MIT license).
 */
#ifndef WFP_TRACE_USERMODE_H
#define WFP_TRACE_USERMODE_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t NTSTATUS;
typedef void *HANDLE;
typedef void *NDIS_HANDLE;
typedef unsigned char BOOLEAN;
typedef unsigned char KIRQL;
typedef uint16_t ADDRESS_FAMILY;
typedef uint32_t UINT32;
typedef uint64_t UINT64;
typedef uint16_t UINT16;
typedef uint16_t USHORT;
typedef unsigned long ULONG;
typedef size_t SIZE_T;
typedef uint32_t COMPARTMENT_ID;
typedef uint32_t IF_INDEX;

#define PASSIVE_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2

#define AF_UNSPEC 0
#define AF_INET 2
#define AF_INET6 23

#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_FWP_NULL_POINTER ((NTSTATUS)0xC0220001L)
#define STATUS_FWP_INVALID_PARAMETER ((NTSTATUS)0xC0220035L)
#define STATUS_FWP_TCPIP_NOT_READY ((NTSTATUS)0xC0220100L)
#define STATUS_FWP_INJECT_HANDLE_CLOSING ((NTSTATUS)0xC0220101L)
#define STATUS_FWP_INJECT_HANDLE_STALE ((NTSTATUS)0xC0220102L)
#define STATUS_FWP_CANNOT_PEND ((NTSTATUS)0xC0220103L)
#define NT_SUCCESS(status) (((NTSTATUS)(status)) >= 0)

#define FWPS_INJECTION_TYPE_STREAM 0x00000001
#define FWPS_INJECTION_TYPE_TRANSPORT 0x00000002
#define FWPS_INJECTION_TYPE_NETWORK 0x00000004
#define FWPS_INJECTION_TYPE_FORWARD 0x00000008

#define FWPS_STREAM_FLAG_RECEIVE 0x00000001
#define FWPS_STREAM_FLAG_RECEIVE_EXPEDITED 0x00000002
#define FWPS_STREAM_FLAG_RECEIVE_DISCONNECT 0x00000004
#define FWPS_STREAM_FLAG_RECEIVE_ABORT 0x00000008
#define FWPS_STREAM_FLAG_SEND 0x00010000
#define FWPS_STREAM_FLAG_SEND_EXPEDITED 0x00020000
#define FWPS_STREAM_FLAG_SEND_NODELAY 0x00040000
#define FWPS_STREAM_FLAG_SEND_DISCONNECT 0x00080000
#define FWPS_STREAM_FLAG_SEND_ABORT 0x00100000
#define FWPS_STREAM_FLAG_RECEIVE_PUSH 0x00200000

typedef enum FWPS_BUILTIN_LAYERS_ {
  FWPS_LAYER_INBOUND_IPPACKET_V4,
  FWPS_LAYER_INBOUND_IPPACKET_V6,
  FWPS_LAYER_OUTBOUND_IPPACKET_V4,
  FWPS_LAYER_OUTBOUND_IPPACKET_V6,
  FWPS_LAYER_IPFORWARD_V4,
  FWPS_LAYER_IPFORWARD_V6,
  FWPS_LAYER_INBOUND_TRANSPORT_V4,
  FWPS_LAYER_INBOUND_TRANSPORT_V6,
  FWPS_LAYER_OUTBOUND_TRANSPORT_V4,
  FWPS_LAYER_OUTBOUND_TRANSPORT_V6,
  FWPS_LAYER_STREAM_V4,
  FWPS_LAYER_STREAM_V6,
  FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V4,
  FWPS_LAYER_ALE_RESOURCE_ASSIGNMENT_V6,
  FWPS_LAYER_ALE_AUTH_LISTEN_V4,
  FWPS_LAYER_ALE_AUTH_LISTEN_V6,
  FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V4,
  FWPS_LAYER_ALE_AUTH_RECV_ACCEPT_V6,
  FWPS_LAYER_ALE_AUTH_CONNECT_V4,
  FWPS_LAYER_ALE_AUTH_CONNECT_V6
} FWPS_BUILTIN_LAYERS;

typedef enum FWPS_PACKET_INJECTION_STATE_ {
  FWPS_PACKET_NOT_INJECTED,
  FWPS_PACKET_INJECTED_BY_SELF,
  FWPS_PACKET_INJECTED_BY_OTHER,
  FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF,
  FWPS_PACKET_INJECTION_STATE_MAX
} FWPS_PACKET_INJECTION_STATE;

/* A NET_BUFFER_LIST reduced to what a test double and the recorder use. */
typedef struct NET_BUFFER_LIST {
  struct NET_BUFFER_LIST *Next;
  NTSTATUS Status;
  unsigned NetBufferCount;
} NET_BUFFER_LIST;
#define NET_BUFFER_LIST_NEXT_NBL(nbl) ((nbl)->Next)
#define NET_BUFFER_LIST_STATUS(nbl) ((nbl)->Status)

typedef struct MDL {
  struct MDL *Next;
  ULONG ByteCount;
} MDL;
#define MmGetMdlByteCount(mdl) ((mdl)->ByteCount)

typedef struct FWPS_STREAM_DATA0 {
  UINT32 flags;
  NET_BUFFER_LIST *netBufferListChain;
  SIZE_T dataLength;
} FWPS_STREAM_DATA0;

typedef struct FWPS_TRANSPORT_SEND_PARAMS0 FWPS_TRANSPORT_SEND_PARAMS0;
typedef struct NET_BUFFER_LIST_POOL_PARAMETERS NET_BUFFER_LIST_POOL_PARAMETERS;

typedef void (*FWPS_INJECT_COMPLETE0)(void *completionContext, NET_BUFFER_LIST *netBufferList, BOOLEAN dispatchLevel);

/* The functions, as the WDK declares them; the test double defines them. */
NTSTATUS FwpsInjectionHandleCreate0(ADDRESS_FAMILY addressFamily, UINT32 flags, HANDLE *injectionHandle);
NTSTATUS FwpsInjectionHandleDestroy0(HANDLE injectionHandle);
NTSTATUS FwpsInjectNetworkSendAsync0(HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, COMPARTMENT_ID compartmentId, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NTSTATUS FwpsInjectNetworkReceiveAsync0(HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex, IF_INDEX subInterfaceIndex, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NTSTATUS FwpsInjectTransportSendAsync0(HANDLE injectionHandle, HANDLE injectionContext, UINT64 endpointHandle, UINT32 flags, FWPS_TRANSPORT_SEND_PARAMS0 *sendArgs, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NTSTATUS FwpsInjectTransportReceiveAsync0(HANDLE injectionHandle, HANDLE injectionContext, void *reserved, UINT32 flags, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex, IF_INDEX subInterfaceIndex, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NTSTATUS FwpsInjectForwardAsync0(HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, ADDRESS_FAMILY addressFamily, COMPARTMENT_ID compartmentId, IF_INDEX interfaceIndex, NET_BUFFER_LIST *netBufferList, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NTSTATUS FwpsStreamInjectAsync0(HANDLE injectionHandle, HANDLE injectionContext, UINT32 flags, UINT64 flowId, UINT32 calloutId, UINT16 layerId, UINT32 streamFlags, NET_BUFFER_LIST *netBufferList, SIZE_T dataLength, FWPS_INJECT_COMPLETE0 completionFn, HANDLE completionContext);
NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE ndisHandle, NET_BUFFER_LIST_POOL_PARAMETERS *parameters);
void NdisFreeNetBufferListPool(NDIS_HANDLE poolHandle);
NTSTATUS FwpsAllocateNetBufferAndNetBufferList0(NDIS_HANDLE poolHandle, USHORT contextSize, USHORT contextBackFill, MDL *mdlChain, ULONG dataOffset, SIZE_T dataLength, NET_BUFFER_LIST **netBufferList);
NTSTATUS FwpsAllocateCloneNetBufferList0(NET_BUFFER_LIST *originalNetBufferList, NDIS_HANDLE netBufferListPoolHandle, NDIS_HANDLE netBufferPoolHandle, ULONG allocateCloneFlags, NET_BUFFER_LIST **netBufferList);
NTSTATUS FwpsCloneStreamData0(FWPS_STREAM_DATA0 *calloutStreamData, NDIS_HANDLE netBufferListPoolHandle, NDIS_HANDLE netBufferPoolHandle, ULONG allocateCloneFlags, NET_BUFFER_LIST **netBufferListChain);
void FwpsFreeCloneNetBufferList0(NET_BUFFER_LIST *netBufferList, ULONG freeCloneFlags);
void FwpsFreeNetBufferList0(NET_BUFFER_LIST *netBufferList);
void FwpsDiscardClonedStreamData0(NET_BUFFER_LIST *clonedNetBufferListChain, UINT32 allocateCloneFlags, BOOLEAN dispatchLevel);
NTSTATUS FwpsPendOperation0(HANDLE completionHandle, HANDLE *completionContext);
void FwpsCompleteOperation0(HANDLE completionContext, NET_BUFFER_LIST *netBufferList);
FWPS_PACKET_INJECTION_STATE FwpsQueryPacketInjectionState0(HANDLE injectionHandle, const NET_BUFFER_LIST *netBufferList, HANDLE *injectionContext);

#endif
