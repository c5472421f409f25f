/*
 * curl_ceiling: a raw libcurl multi loop, the delivery-side ceiling of the hookd benchmark,
 * and the load generator for its end-to-end scenarios.
 *
 * One thread, one multi handle, CONCURRENCY easy handles kept in flight: each one POSTs the
 * same body to URL over a kept-alive connection and is re-added as soon as it completes.
 * This is what one hookd delivery thread could do at best if everything else were free.
 *
 *   curl_ceiling [-d SECONDS | -n COUNT] [-c CONCURRENCY] [-r RATE] [-b BODY_FILE]
 *                [-H HEADER]... [-s EXPECTED_STATUS] [-o RECORD_FILE] URL
 *
 *   -d SECONDS   run for this long and count completions inside the window (default 10)
 *   -n COUNT     instead, send exactly COUNT requests and time them
 *   -c N         transfers in flight at most (default 64)
 *   -r RATE      start at most RATE requests per second (evenly paced; default: no pacing)
 *   -b FILE      request body (default: a 1024-byte JSON object)
 *   -H HEADER    extra request header, repeatable ("Authorization: Bearer ...")
 *   -s STATUS    status counted as a success (default: any 2xx)
 *   -o FILE      for every success, write "<unix time the request started, s> <id>" where id
 *                is the first "id":"..." of the response body (hookd's message id)
 *
 * Prints one line:
 *   CURL requests=<completed> ok=<expected status> bad=<other status> errors=<transport errors>
 *        seconds=<window> rps=<completed/s> ok_rps=<ok/s> p50_ms=<..> p99_ms=<..> max_ms=<..>
 *        first_bad=<status or curl error, rest of the line>
 *
 * Built by bench/run.sh:  cc -O2 bench/curl_ceiling.c -lcurl -o <tmp>/curl_ceiling
 */
#include <curl/curl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESP_CAP 1024

struct slot {
    CURL *easy;
    double started;      /* CLOCK_MONOTONIC, s */
    double started_unix; /* CLOCK_REALTIME, s */
    size_t len;
    char resp[RESP_CAP];
};

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

static size_t keep_head(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct slot *s = userdata;
    size_t n = size * nmemb;
    size_t room = RESP_CAP - 1 - s->len;
    size_t take = n < room ? n : room;
    memcpy(s->resp + s->len, ptr, take);
    s->len += take;
    s->resp[s->len] = '\0';
    return n;
}

static char *default_body(size_t *len) {
    const size_t target = 1024;
    const char *head = "{\"id\":\"bench\",\"type\":\"bench.event\",\"data\":\"";
    const char *tail = "\"}";
    char *b = malloc(target + 1);
    if (!b) return NULL;
    size_t hl = strlen(head), tl = strlen(tail);
    memcpy(b, head, hl);
    for (size_t i = hl; i < target - tl; i++) b[i] = (char)('a' + (i % 26));
    memcpy(b + target - tl, tail, tl);
    b[target] = '\0';
    *len = target;
    return b;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long n = ftell(f);
    if (n < 0) { fclose(f); return NULL; }
    rewind(f);
    char *b = malloc((size_t)n + 1);
    if (!b) { fclose(f); return NULL; }
    if (fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); fclose(f); return NULL; }
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void usage(void) {
    fprintf(stderr,
            "usage: curl_ceiling [-d SECONDS | -n COUNT] [-c CONCURRENCY] [-r RATE] [-b BODY_FILE]\n"
            "                    [-H HEADER]... [-s EXPECTED_STATUS] [-o RECORD_FILE] URL\n");
    exit(2);
}

int main(int argc, char **argv) {
    double duration = 10.0;
    long count = 0; /* 0: duration mode */
    int concurrency = 64;
    double rate = 0; /* 0: as fast as possible */
    long expect = 0; /* 0: any 2xx */
    const char *body_file = NULL, *record_file = NULL, *url = NULL;
    struct curl_slist *headers = NULL;

    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:"); /* never wait for 100-continue */

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] && !a[2] && i + 1 < argc) {
            const char *v = argv[++i];
            switch (a[1]) {
            case 'd': duration = atof(v); break;
            case 'n': count = atol(v); break;
            case 'c': concurrency = atoi(v); break;
            case 'r': rate = atof(v); break;
            case 'b': body_file = v; break;
            case 'H': headers = curl_slist_append(headers, v); break;
            case 's': expect = atol(v); break;
            case 'o': record_file = v; break;
            default: usage();
            }
        } else if (a[0] != '-' && !url) {
            url = a;
        } else {
            usage();
        }
    }
    if (!url || concurrency < 1 || rate < 0 || (count <= 0 && duration <= 0)) usage();
    if (count > 0 && concurrency > count) concurrency = (int)count;

    size_t body_len = 0;
    char *body = body_file ? read_file(body_file, &body_len) : default_body(&body_len);
    if (!body) {
        fprintf(stderr, "curl_ceiling: cannot read body %s: %s\n", body_file ? body_file : "",
                strerror(errno));
        return 1;
    }
    FILE *record = NULL;
    if (record_file && !(record = fopen(record_file, "w"))) {
        fprintf(stderr, "curl_ceiling: cannot write %s: %s\n", record_file, strerror(errno));
        return 1;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)concurrency + 16);

    struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
    struct slot **idle = calloc((size_t)concurrency, sizeof *idle);
    size_t lat_cap = 1 << 16, lat_n = 0;
    double *lat = malloc(lat_cap * sizeof *lat);
    if (!slots || !idle || !lat) return 1;
    int n_idle = 0;
    for (int i = 0; i < concurrency; i++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)body_len);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_head);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &slots[i]);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
        slots[i].easy = e;
        idle[n_idle++] = &slots[i];
    }

    long issued = 0, completed = 0, ok = 0, bad = 0, errors = 0;
    int in_flight = 0;
    char first_bad[160] = "";
    const double start = now_s();
    const double deadline = count > 0 ? start + 3600.0 : start + duration;
    double last_done = start;

    for (;;) {
        double t = now_s();
        /* start what is allowed: a free slot, requests left, and (when paced) due */
        while (n_idle > 0 && (count > 0 ? issued < count : t < deadline) &&
               (rate <= 0 || t >= start + (double)issued / rate)) {
            struct slot *s = idle[--n_idle];
            s->len = 0;
            s->resp[0] = '\0';
            s->started = t;
            s->started_unix = clock_s(CLOCK_REALTIME);
            curl_multi_add_handle(multi, s->easy);
            issued++;
            in_flight++;
        }
        int more = count > 0 ? issued < count : t < deadline;
        if (in_flight == 0 && !more) break;
        if (count == 0 && t >= deadline) break; /* abandon what is still in flight */

        int timeout_ms = 100;
        if (rate > 0 && n_idle > 0) {
            double due = (start + (double)issued / rate - t) * 1000.0;
            if (due < timeout_ms) timeout_ms = due < 0 ? 0 : (int)due;
        }
        if (count == 0) {
            double left = (deadline - t) * 1000.0;
            if (left < timeout_ms) timeout_ms = left < 1 ? 1 : (int)left;
        }
        curl_multi_poll(multi, NULL, 0, timeout_ms, NULL);

        int running = 0;
        CURLMcode mc = curl_multi_perform(multi, &running);
        if (mc != CURLM_OK) {
            fprintf(stderr, "curl_ceiling: curl_multi_perform: %s\n", curl_multi_strerror(mc));
            break;
        }
        int msgs = 0;
        CURLMsg *m;
        t = now_s();
        while ((m = curl_multi_info_read(multi, &msgs))) {
            if (m->msg != CURLMSG_DONE) continue;
            CURL *e = m->easy_handle;
            struct slot *s = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
            CURLcode result = m->data.result; /* m is invalid after remove_handle */
            curl_multi_remove_handle(multi, e);
            in_flight--;
            idle[n_idle++] = s;
            if (count == 0 && t > deadline) continue;
            completed++;
            last_done = t;
            if (lat_n == lat_cap) {
                double *bigger = realloc(lat, 2 * lat_cap * sizeof *lat);
                if (bigger) { lat = bigger; lat_cap *= 2; }
            }
            if (lat_n < lat_cap) lat[lat_n++] = t - s->started;
            if (result != CURLE_OK) {
                errors++;
                if (!first_bad[0])
                    snprintf(first_bad, sizeof first_bad, "curl: %s", curl_easy_strerror(result));
                continue;
            }
            long code = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            int good = expect ? code == expect : (code >= 200 && code < 300);
            if (!good) {
                bad++;
                if (!first_bad[0])
                    snprintf(first_bad, sizeof first_bad, "%ld %.120s", code, s->resp);
                continue;
            }
            ok++;
            if (record) {
                const char *id = strstr(s->resp, "\"id\"");
                int idlen = 0;
                if (id) {
                    id += 4;
                    while (*id == ' ' || *id == '\t' || *id == ':') id++;
                    if (*id == '"') {
                        id++;
                        while (id[idlen] && id[idlen] != '"') idlen++;
                    }
                }
                fprintf(record, "%.6f %.*s\n", s->started_unix, idlen, id ? id : "");
            }
        }
    }

    double seconds = count > 0 ? last_done - start : duration;
    if (seconds <= 0) seconds = 1e-9;
    qsort(lat, lat_n, sizeof *lat, cmp_double);
    for (char *p = first_bad; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    printf("CURL requests=%ld ok=%ld bad=%ld errors=%ld seconds=%.3f rps=%.1f ok_rps=%.1f "
           "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f first_bad=%s\n",
           completed, ok, bad, errors, seconds, completed / seconds, ok / seconds,
           percentile(lat, lat_n, 50) * 1e3, percentile(lat, lat_n, 99) * 1e3,
           lat_n ? lat[lat_n - 1] * 1e3 : 0.0, first_bad[0] ? first_bad : "-");
    fflush(stdout);

    for (int i = 0; i < concurrency; i++) {
        curl_multi_remove_handle(multi, slots[i].easy);
        curl_easy_cleanup(slots[i].easy);
    }
    if (record) fclose(record);
    free(slots);
    free(idle);
    free(lat);
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    free(body);
    return ok > 0 ? 0 : 1;
}
