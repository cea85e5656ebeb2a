// SPDX-License-Identifier: GPL-2.0
/*
 * holdconn: open many TCP connections, hold them, close them.
 *
 * Every connected TCP socket caches its own route, and with an IPsec
 * policy in place that route is an xfrm bundle: one xfrm dst entry per
 * socket, alive as long as the socket.  Holding hundreds of them at once
 * is what lets the per-CPU slots of a shared dst counter reach their
 * batch, and so what makes the counts of network namespaces leak into
 * each other on affected kernels (see scripts/e2e/scenario.sh).
 *
 * Usage:
 *   holdconn server -4|-6 -p PORT
 *	Listen on every address of the namespace and hold each accepted
 *	connection until the peer closes it.  Runs until SIGTERM or SIGINT,
 *	then prints "holdconn: server family=F accepted=N" and exits.
 *
 *   holdconn client -4|-6 -p PORT -n CONNS [-w WAVES] [-H HOLD_S]
 *		     [-t TIMEOUT_S] [-g GAP_S | -S DIR] PEER...
 *	WAVES times (default 1): open CONNS connections at once, spread
 *	round robin over the PEER addresses, wait up to TIMEOUT_S (default
 *	10) for them to complete, hold the connected ones HOLD_S seconds
 *	(default 5), close them all, wait GAP_S seconds (default 1).  With
 *	-S, wave W starts only once the file DIR/go.W exists instead: a
 *	controller starts the waves of many clients together.
 *	Prints one line per wave and a total:
 *	    holdconn: wave=W family=F ok=N failed=N enobufs=N first_error=NAME
 *	    holdconn: client family=F connects=OK/TOTAL enobufs=N
 *	A connect fails when connect() or the handshake reports an error
 *	or does not complete in time; enobufs counts those that failed with
 *	ENOBUFS, what the sender sees when no xfrm dst could be allocated
 *	for it.  Exit status 0 unless the arguments or the setup are wrong:
 *	failed connects are counted, not fatal.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct options {
	int family;
	int port;
	int conns;
	int waves;
	int hold_s;
	int timeout_s;
	int gap_s;
	const char *sync_dir;
	int npeers;
	char **peers;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: holdconn server -4|-6 -p PORT\n"
		"       holdconn client -4|-6 -p PORT -n CONNS [-w WAVES] [-H HOLD_S]\n"
		"                       [-t TIMEOUT_S] [-g GAP_S | -S DIR] PEER...\n");
	exit(2);
}

static int family_number(int family)
{
	return family == AF_INET ? 4 : 6;
}

/* A one-word name for the errors a connect may end with. */
static const char *error_name(int err)
{
	static char other[32];

	switch (err) {
	case 0: return "none";
	case ENOBUFS: return "ENOBUFS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EAGAIN: return "EAGAIN";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EMFILE: return "EMFILE";
	case ENOMEM: return "ENOMEM";
	default:
		snprintf(other, sizeof(other), "errno%d", err);
		return other;
	}
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* As many descriptors as the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Fill @ss from a textual address and port; 0 on success. */
static int make_addr(int family, const char *text, int port,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		if (!text)
			return 0;
		return inet_pton(AF_INET, text, &sin->sin_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		if (!text)
			return 0;
		return inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
}

/*
 * poll(), not epoll: the small test kernels are built without epoll.
 * Slot 0 is the listening socket; accepted sockets fill the rest.
 */
static int run_server(const struct options *o)
{
	struct sockaddr_storage ss;
	struct pollfd *pfd;
	socklen_t len;
	long accepted = 0;
	int one = 1, lfd, nfds = 1, cap = 1024, i;
	char buf[256];

	make_addr(o->family, NULL, o->port, &ss, &len);
	lfd = socket(o->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("holdconn: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->family == AF_INET6)
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) < 0 || listen(lfd, 4096) < 0) {
		perror("holdconn: bind/listen");
		return 1;
	}
	pfd = calloc(cap, sizeof(*pfd));
	if (!pfd) {
		perror("holdconn: calloc");
		return 1;
	}
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;

	while (!stop_requested) {
		if (poll(pfd, nfds, 500) <= 0)
			continue;
		/* Data is not expected: end of stream or an error closes. */
		for (i = nfds - 1; i >= 1; i--) {
			if (!pfd[i].revents)
				continue;
			if (read(pfd[i].fd, buf, sizeof(buf)) > 0)
				continue;
			close(pfd[i].fd);
			pfd[i] = pfd[--nfds];
		}
		if (pfd[0].revents & POLLIN) {
			int c;

			while ((c = accept4(lfd, NULL, NULL,
					    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				accepted++;
				if (nfds == cap) {
					struct pollfd *bigger;

					bigger = realloc(pfd, 2 * cap * sizeof(*pfd));
					if (!bigger) {
						close(c);
						continue;
					}
					pfd = bigger;
					cap *= 2;
				}
				pfd[nfds].fd = c;
				pfd[nfds].events = POLLIN;
				pfd[nfds].revents = 0;
				nfds++;
			}
		}
	}
	printf("holdconn: server family=%d accepted=%ld\n",
	       family_number(o->family), accepted);
	free(pfd);
	return 0;
}

/* Sleep @s seconds unless asked to stop. */
static void pause_s(int s)
{
	long long end = now_ms() + (long long)s * 1000;

	while (!stop_requested && now_ms() < end)
		poll(NULL, 0, 100);
}

struct wave_errors {
	int first;	/* the first error seen, 0 if none */
	int enobufs;	/* connects that failed with ENOBUFS */
};

static void note_error(struct wave_errors *e, int err)
{
	if (!e->first)
		e->first = err;
	if (err == ENOBUFS)
		e->enobufs++;
}

/*
 * One wave: CONNS non-blocking connects, wait for all, hold, close.
 * Returns the number connected; failures are noted in @e.
 */
static int client_wave(const struct options *o,
		       const struct sockaddr_storage *peers,
		       const socklen_t *lens, struct wave_errors *e)
{
	struct pollfd *pfd = calloc(o->conns, sizeof(*pfd));
	int *state = calloc(o->conns, sizeof(*state)); /* 0 pending, 1 ok, -1 failed */
	long long deadline;
	int i, ok = 0, pending = 0;

	if (!pfd || !state) {
		perror("holdconn: calloc");
		exit(1);
	}
	for (i = 0; i < o->conns; i++) {
		int fd = socket(o->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int p = i % o->npeers;

		pfd[i].fd = -1;
		if (fd < 0) {
			note_error(e, errno);
			state[i] = -1;
			continue;
		}
		if (connect(fd, (const struct sockaddr *)&peers[p], lens[p]) == 0) {
			state[i] = 1;
			ok++;
		} else if (errno == EINPROGRESS) {
			state[i] = 0;
			pending++;
		} else {
			note_error(e, errno);
			state[i] = -1;
		}
		pfd[i].fd = fd;
		pfd[i].events = POLLOUT;
	}

	deadline = now_ms() + (long long)o->timeout_s * 1000;
	while (pending > 0 && !stop_requested && now_ms() < deadline) {
		int n;

		for (i = 0; i < o->conns; i++)
			pfd[i].events = state[i] == 0 ? POLLOUT : 0;
		n = poll(pfd, o->conns, 200);
		if (n <= 0)
			continue;
		for (i = 0; i < o->conns; i++) {
			int err = 0;
			socklen_t elen = sizeof(err);

			if (state[i] != 0 || !pfd[i].revents)
				continue;
			getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &elen);
			pending--;
			if (err) {
				note_error(e, err);
				state[i] = -1;
			} else {
				state[i] = 1;
				ok++;
			}
		}
	}
	if (pending > 0 && !e->first)
		e->first = ETIMEDOUT;

	pause_s(o->hold_s);
	for (i = 0; i < o->conns; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	free(pfd);
	free(state);
	return ok;
}

/* Wait until DIR/go.WAVE exists; nonzero if asked to stop first. */
static int wait_for_go(const char *dir, int wave)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/go.%d", dir, wave);
	while (!stop_requested && access(path, F_OK) != 0)
		poll(NULL, 0, 100);
	return stop_requested;
}

static int run_client(const struct options *o)
{
	struct sockaddr_storage *peers = calloc(o->npeers, sizeof(*peers));
	socklen_t *lens = calloc(o->npeers, sizeof(*lens));
	long total = 0, ok_total = 0, enobufs = 0;
	int w, i;

	if (!peers || !lens) {
		perror("holdconn: calloc");
		return 1;
	}
	for (i = 0; i < o->npeers; i++) {
		if (make_addr(o->family, o->peers[i], o->port, &peers[i], &lens[i])) {
			fprintf(stderr, "holdconn: bad IPv%d address '%s'\n",
				family_number(o->family), o->peers[i]);
			return 2;
		}
	}
	for (w = 1; w <= o->waves && !stop_requested; w++) {
		struct wave_errors e = { 0, 0 };
		int ok;

		if (o->sync_dir && wait_for_go(o->sync_dir, w))
			break;

		ok = client_wave(o, peers, lens, &e);
		total += o->conns;
		ok_total += ok;
		enobufs += e.enobufs;
		printf("holdconn: wave=%d family=%d ok=%d failed=%d enobufs=%d first_error=%s\n",
		       w, family_number(o->family), ok, o->conns - ok, e.enobufs,
		       error_name(e.first));
		fflush(stdout);
		if (w < o->waves && !o->sync_dir)
			pause_s(o->gap_s);
	}
	printf("holdconn: client family=%d connects=%ld/%ld enobufs=%ld\n",
	       family_number(o->family), ok_total, total, enobufs);
	free(peers);
	free(lens);
	return 0;
}

static int positive(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0 || v > 1000000)
		usage();
	return (int)v;
}

int main(int argc, char **argv)
{
	struct options o = {
		.family = 0, .port = 0, .conns = 0, .waves = 1,
		.hold_s = 5, .timeout_s = 10, .gap_s = 1,
	};
	int server, c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		server = 1;
	else if (!strcmp(argv[1], "client"))
		server = 0;
	else
		usage();
	optind = 2;
	while ((c = getopt(argc, argv, "46p:n:w:H:t:g:S:")) != -1) {
		switch (c) {
		case '4': o.family = AF_INET; break;
		case '6': o.family = AF_INET6; break;
		case 'p': o.port = positive(optarg); break;
		case 'n': o.conns = positive(optarg); break;
		case 'w': o.waves = positive(optarg); break;
		case 'H': o.hold_s = positive(optarg); break;
		case 't': o.timeout_s = positive(optarg); break;
		case 'g': o.gap_s = positive(optarg); break;
		case 'S': o.sync_dir = optarg; break;
		default: usage();
		}
	}
	if (!o.family || !o.port || o.port > 65535)
		usage();
	o.peers = argv + optind;
	o.npeers = argc - optind;
	if (server ? o.npeers != 0 : (o.npeers < 1 || o.conns < 1))
		usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_fd_limit();
	install_signals();
	return server ? run_server(&o) : run_client(&o);
}
