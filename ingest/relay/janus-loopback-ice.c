/*
 * Argus: loopback-only ICE for Janus (preloaded with LD_PRELOAD; see loopback-ice.shim.ts).
 *
 * Janus 1.1 gathers ICE candidates only on interfaces that are not loopback (janus_ice_setup_local
 * skips IFF_LOOPBACK), and when none matches its enforce list libnice falls back to every other
 * interface. To offer 127.0.0.1 and nothing else, this wrapper of getifaddrs() shows the Janus
 * process the IPv4 loopback addresses only, without the loopback flag: Janus then adds 127.0.0.1 to
 * its ICE agent and binds nothing on the network. The other entries stay in the list (freeifaddrs
 * frees the list as one block) but lose their address and their UP/RUNNING flags, so every caller
 * skips them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

int getifaddrs(struct ifaddrs **ifap) {
  int (*real_getifaddrs)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
  if (real_getifaddrs == NULL) return -1;
  int rc = real_getifaddrs(ifap);
  if (rc != 0 || ifap == NULL) return rc;
  for (struct ifaddrs *cur = *ifap; cur != NULL; cur = cur->ifa_next) {
    int loopback4 = cur->ifa_addr != NULL && cur->ifa_addr->sa_family == AF_INET &&
                    (ntohl(((struct sockaddr_in *)cur->ifa_addr)->sin_addr.s_addr) >> 24) == 127;
    if (loopback4) {
      cur->ifa_flags &= ~IFF_LOOPBACK;
    } else {
      cur->ifa_addr = NULL;
      cur->ifa_flags &= ~(IFF_UP | IFF_RUNNING);
    }
  }
  return rc;
}
