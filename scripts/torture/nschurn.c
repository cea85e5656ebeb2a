// SPDX-License-Identifier: GPL-2.0
/*
 * nschurn: one network namespace with IPsec, made, used and destroyed,
 * without a single exec: the torture makes over a thousand of them and
 * every exec of iproute2 costs dearly under TCG.
 *
 *   nschurn HUB W S [READY_FILE]
 *
 * In a new namespace (unshare(CLONE_NEWNET)): a veth pair e0 <-> hWxS
 * whose far end goes into the namespace HUB (/run/netns/HUB), addresses
 * 10.1W.S.2/24 and fd00:1W:S::2/64 here, .1 and ::1 on the hub's end;
 * ESP transport mode here for both families, exactly as
 * scripts/torture/ipsec.sh sets it up (the hub's side of every subnet is
 * set up once, by the caller); then one ICMP echo each way to the hub,
 * IPv4 and IPv6.  The namespace is destroyed when the process exits.
 * With READY_FILE, the process creates that file once it is done and
 * waits to be killed instead of exiting.
 *
 * Exit status: 0 both echoes answered, 1 the IPv4 one failed, 2 the IPv6
 * one, 3 both; 4 the namespace could not be set up (message on stderr).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ENC_KEY "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
#define AUTH_KEY ENC_KEY "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
#define AEAD_KEY ENC_KEY "\x10\x11\x12\x13"

struct req {
	struct nlmsghdr n;
	char buf[2048];
};

static const char *what = "setup";

static void die(const char *msg)
{
	fprintf(stderr, "nschurn: %s: %s: %s\n", what, msg, strerror(errno));
	exit(4);
}

static void *tail(struct nlmsghdr *n)
{
	return (char *)n + NLMSG_ALIGN(n->nlmsg_len);
}

static void addattr(struct nlmsghdr *n, int type, const void *data, int len)
{
	struct rtattr *rta = tail(n);

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static struct rtattr *nest(struct nlmsghdr *n, int type)
{
	struct rtattr *rta = tail(n);

	addattr(n, type, NULL, 0);
	return rta;
}

static void nest_end(struct nlmsghdr *n, struct rtattr *rta)
{
	rta->rta_len = (char *)tail(n) - (char *)rta;
}

static void *body(struct nlmsghdr *n, int len)
{
	void *p = NLMSG_DATA(n);

	n->nlmsg_len = NLMSG_LENGTH(len);
	return p;
}

static void start(struct req *r, int type, int flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

/* Send, wait for the ack; a reply to a GET is copied to @reply. */
static void talk(int fd, struct req *r, struct req *reply)
{
	static unsigned int seq;
	char buf[8192];
	struct nlmsghdr *h;
	ssize_t len;

	r->n.nlmsg_seq = ++seq;
	if (send(fd, &r->n, r->n.nlmsg_len, 0) < 0)
		die("netlink send");
	for (;;) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			die("netlink recv");
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error) {
					errno = -e->error;
					die("netlink request");
				}
				return;
			}
			if (reply && h->nlmsg_len <= sizeof(*reply))
				memcpy(reply, h, h->nlmsg_len);
		}
	}
}

static int nl_socket(int proto)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);

	if (fd < 0)
		die("netlink socket");
	return fd;
}

static int ifindex(int fd, const char *name)
{
	struct req r, reply;
	struct ifinfomsg *ifi;

	start(&r, RTM_GETLINK, 0);
	ifi = body(&r.n, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	addattr(&r.n, IFLA_IFNAME, name, strlen(name) + 1);
	memset(&reply, 0, sizeof(reply));
	talk(fd, &r, &reply);
	ifi = NLMSG_DATA(&reply.n);
	if (reply.n.nlmsg_type != RTM_NEWLINK || !ifi->ifi_index) {
		errno = ENODEV;
		die(name);
	}
	return ifi->ifi_index;
}

static void link_up(int fd, int index)
{
	struct req r;
	struct ifinfomsg *ifi;

	start(&r, RTM_NEWLINK, 0);
	ifi = body(&r.n, sizeof(*ifi));
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	talk(fd, &r, NULL);
}

static void add_addr(int fd, int index, int family, const void *addr, int plen)
{
	int len = family == AF_INET ? 4 : 16;
	struct ifaddrmsg *ifa;
	struct req r;

	start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = body(&r.n, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = index;
	if (family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	addattr(&r.n, IFA_LOCAL, addr, len);
	addattr(&r.n, IFA_ADDRESS, addr, len);
	talk(fd, &r, NULL);
}

/* veth e0 here, its peer @peer moved into the namespace of @nsfd. */
static void add_veth(int fd, const char *peer, int nsfd)
{
	struct rtattr *linkinfo, *data, *peerinfo;
	struct ifinfomsg *ifi, pifi = { .ifi_family = AF_UNSPEC };
	struct req r;

	start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = body(&r.n, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	addattr(&r.n, IFLA_IFNAME, "e0", 3);
	linkinfo = nest(&r.n, IFLA_LINKINFO);
	addattr(&r.n, IFLA_INFO_KIND, "veth", 5);
	data = nest(&r.n, IFLA_INFO_DATA);
	peerinfo = nest(&r.n, VETH_INFO_PEER);
	memcpy(tail(&r.n), &pifi, sizeof(pifi));
	r.n.nlmsg_len += NLMSG_ALIGN(sizeof(pifi));
	addattr(&r.n, IFLA_IFNAME, peer, strlen(peer) + 1);
	addattr(&r.n, IFLA_NET_NS_FD, &nsfd, sizeof(nsfd));
	nest_end(&r.n, peerinfo);
	nest_end(&r.n, data);
	nest_end(&r.n, linkinfo);
	talk(fd, &r, NULL);
}

static void lifetime_inf(struct xfrm_lifetime_cfg *lft)
{
	lft->soft_byte_limit = XFRM_INF;
	lft->hard_byte_limit = XFRM_INF;
	lft->soft_packet_limit = XFRM_INF;
	lft->hard_packet_limit = XFRM_INF;
}

static void set_addr(xfrm_address_t *x, int family, const void *a)
{
	memcpy(x, a, family == AF_INET ? 4 : 16);
}

/* The SPI of the direction towards @dst: 0x1000 + its last byte. */
static __be32 spi_to(int family, const unsigned char *dst)
{
	return htonl(0x1000 + dst[family == AF_INET ? 3 : 15]);
}

static void add_sa(int fd, int family, const void *src, const void *dst)
{
	struct xfrm_usersa_info *sa;
	struct req r;
	struct {
		struct xfrm_algo a;
		char key[16];
	} enc = { .a = { .alg_name = "cbc(aes)", .alg_key_len = 128 } };
	/* `ip xfrm state ... auth`: the kernel's default truncation. */
	struct {
		struct xfrm_algo a;
		char key[32];
	} auth = { .a = { .alg_name = "hmac(sha256)", .alg_key_len = 256 } };
	struct {
		struct xfrm_algo_aead a;
		char key[20];
	} aead = { .a = { .alg_name = "rfc4106(gcm(aes))", .alg_key_len = 160,
			  .alg_icv_len = 128 } };

	start(&r, XFRM_MSG_NEWSA, NLM_F_CREATE | NLM_F_EXCL);
	sa = body(&r.n, sizeof(*sa));
	sa->family = family;
	sa->mode = XFRM_MODE_TRANSPORT;
	sa->id.proto = IPPROTO_ESP;
	sa->id.spi = spi_to(family, dst);
	set_addr(&sa->id.daddr, family, dst);
	set_addr(&sa->saddr, family, src);
	lifetime_inf(&sa->lft);
	if (family == AF_INET) {
		memcpy(enc.key, ENC_KEY, 16);
		memcpy(auth.key, AUTH_KEY, 32);
		addattr(&r.n, XFRMA_ALG_CRYPT, &enc, sizeof(enc));
		addattr(&r.n, XFRMA_ALG_AUTH, &auth, sizeof(auth));
	} else {
		memcpy(aead.key, AEAD_KEY, 20);
		addattr(&r.n, XFRMA_ALG_AEAD, &aead, sizeof(aead));
	}
	talk(fd, &r, NULL);
}

static void add_policy(int fd, int family, const void *src, const void *dst, int dir)
{
	struct xfrm_userpolicy_info *pol;
	struct xfrm_user_tmpl tmpl;
	int plen = family == AF_INET ? 32 : 128;
	struct req r;

	start(&r, XFRM_MSG_NEWPOLICY, NLM_F_CREATE | NLM_F_EXCL);
	pol = body(&r.n, sizeof(*pol));
	pol->sel.family = family;
	pol->sel.prefixlen_d = plen;
	pol->sel.prefixlen_s = plen;
	set_addr(&pol->sel.daddr, family, dst);
	set_addr(&pol->sel.saddr, family, src);
	lifetime_inf(&pol->lft);
	pol->dir = dir;
	pol->action = XFRM_POLICY_ALLOW;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.family = family;
	tmpl.id.proto = IPPROTO_ESP;
	set_addr(&tmpl.id.daddr, family, dst);
	set_addr(&tmpl.saddr, family, src);
	tmpl.mode = XFRM_MODE_TRANSPORT;
	tmpl.aalgos = ~0U;
	tmpl.ealgos = ~0U;
	tmpl.calgos = ~0U;
	addattr(&r.n, XFRMA_TMPL, &tmpl, sizeof(tmpl));
	talk(fd, &r, NULL);
}

/* ESP between @me and @peer, as ipsec_lines() in ipsec.sh. */
static void ipsec(int fd, int family, const void *me, const void *peer)
{
	add_sa(fd, family, me, peer);
	add_sa(fd, family, peer, me);
	add_policy(fd, family, me, peer, XFRM_POLICY_OUT);
	add_policy(fd, family, peer, me, XFRM_POLICY_IN);
}

static unsigned short csum(const void *data, int len)
{
	const unsigned short *p = data;
	unsigned int sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const unsigned char *)p;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return ~sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Send echo request number @seq to @addr on @fd. */
static int echo_send(int fd, int family, const void *addr, int id, int seq)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned char pkt[64];
	struct icmphdr *icmp = (void *)pkt;
	struct icmp6_hdr *icmp6 = (void *)pkt;

	memset(pkt, 0xa5, sizeof(pkt));
	if (family == AF_INET) {
		memcpy(&sin.sin_addr, addr, 4);
		icmp->type = ICMP_ECHO;
		icmp->code = 0;
		icmp->un.echo.id = htons(id);
		icmp->un.echo.sequence = htons(seq);
		icmp->checksum = 0;
		icmp->checksum = csum(pkt, sizeof(pkt));
		return sendto(fd, pkt, sizeof(pkt), 0, (void *)&sin, sizeof(sin));
	}
	memcpy(&sin6.sin6_addr, addr, 16);
	icmp6->icmp6_type = ICMP6_ECHO_REQUEST;
	icmp6->icmp6_code = 0;
	icmp6->icmp6_id = htons(id);
	icmp6->icmp6_seq = htons(seq);
	return sendto(fd, pkt, sizeof(pkt), 0, (void *)&sin6, sizeof(sin6));
}

/*
 * The sequence number of @buf (@len bytes) if it is an echo reply from
 * @addr to a request of @id, else 0.
 */
static int echo_reply_seq(int family, const void *addr, int id,
			  const unsigned char *buf, ssize_t len)
{
	if (family == AF_INET && len >= (ssize_t)(sizeof(struct iphdr) + sizeof(struct icmphdr))) {
		const struct iphdr *ip = (const void *)buf;
		const struct icmphdr *r = (const void *)(buf + ip->ihl * 4);

		if (r->type == ICMP_ECHOREPLY && r->un.echo.id == htons(id) &&
		    !memcmp(&ip->saddr, addr, 4))
			return ntohs(r->un.echo.sequence);
	}
	if (family == AF_INET6 && len >= (ssize_t)sizeof(struct icmp6_hdr)) {
		const struct icmp6_hdr *r = (const void *)buf;

		if (r->icmp6_type == ICMP6_ECHO_REPLY && r->icmp6_id == htons(id))
			return ntohs(r->icmp6_seq);
	}
	return 0;
}

/*
 * Echo requests to @addr, one a second, as `ping -w 5` sends them: 0 once
 * one is answered, -1 if none is within 5 seconds or a send fails (an
 * IPsec that refuses its dst entries fails every send with ENOBUFS).  On
 * a link just made, the first request may be lost while the neighbour is
 * resolved: 3.10 loses an IPv6 one now and then, without this module's
 * storage in place as well (mode=off).
 */
static int echo(int family, const void *addr)
{
	int fd, id = getpid() & 0xffff, seq = 0, answered;
	double deadline = now() + 5, next = 0;
	unsigned char buf[512];

	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC,
		    family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return -1;
	while (now() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double until = deadline;
		ssize_t len;

		if (now() >= next) {
			if (echo_send(fd, family, addr, id, ++seq) < 0) {
				fprintf(stderr, "nschurn: echo request: %s\n",
					strerror(errno));
				break;
			}
			next = now() + 1;
		}
		if (next < until)
			until = next;
		if (poll(&pfd, 1, (int)((until - now()) * 1000) + 1) <= 0)
			continue;
		len = recv(fd, buf, sizeof(buf), 0);
		answered = echo_reply_seq(family, addr, id, buf, len);
		if (answered) {
			if (answered > 1)
				fprintf(stderr, "nschurn: request %d answered, not the first\n",
					answered);
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	unsigned char me4[4], hub4[4], me6[16], hub6[16];
	int hubns, hubrt, rt, xf, w, s, peer_index, status = 0;
	char path[256], peer[IFNAMSIZ], a[64];

	if (argc < 4) {
		fprintf(stderr, "usage: nschurn HUB W S [READY_FILE]\n");
		return 4;
	}
	w = atoi(argv[2]);
	s = atoi(argv[3]);
	snprintf(path, sizeof(path), "/run/netns/%s", argv[1]);
	snprintf(peer, sizeof(peer), "h%dx%d", w, s);
	snprintf(a, sizeof(a), "10.1%d.%d.2", w, s);
	inet_pton(AF_INET, a, me4);
	snprintf(a, sizeof(a), "10.1%d.%d.1", w, s);
	inet_pton(AF_INET, a, hub4);
	snprintf(a, sizeof(a), "fd00:1%d:%d::2", w, s);
	inet_pton(AF_INET6, a, me6);
	snprintf(a, sizeof(a), "fd00:1%d:%d::1", w, s);
	inet_pton(AF_INET6, a, hub6);

	/* A netlink socket in the hub first: it stays there. */
	hubns = open(path, O_RDONLY | O_CLOEXEC);
	if (hubns < 0)
		die(path);
	if (setns(hubns, CLONE_NEWNET))
		die("setns hub");
	hubrt = nl_socket(NETLINK_ROUTE);
	if (unshare(CLONE_NEWNET))
		die("unshare");
	rt = nl_socket(NETLINK_ROUTE);
	xf = nl_socket(NETLINK_XFRM);

	what = "links";
	link_up(rt, 1);		/* lo */
	add_veth(rt, peer, hubns);
	add_addr(rt, if_nametoindex("e0"), AF_INET, me4, 24);
	add_addr(rt, if_nametoindex("e0"), AF_INET6, me6, 64);
	link_up(rt, if_nametoindex("e0"));
	peer_index = ifindex(hubrt, peer);
	add_addr(hubrt, peer_index, AF_INET, hub4, 24);
	add_addr(hubrt, peer_index, AF_INET6, hub6, 64);
	link_up(hubrt, peer_index);
	close(hubrt);
	what = "ipsec";
	ipsec(xf, AF_INET, me4, hub4);
	ipsec(xf, AF_INET6, me6, hub6);
	close(xf);
	close(rt);

	if (echo(AF_INET, hub4)) {
		fprintf(stderr, "nschurn: no answer from 10.1%d.%d.1\n", w, s);
		status |= 1;
	}
	if (echo(AF_INET6, hub6)) {
		fprintf(stderr, "nschurn: no answer from fd00:1%d:%d::1\n", w, s);
		status |= 2;
	}
	if (argc > 4) {
		int fd = open(argv[4], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
		pause();
	}
	return status;
}
