vcl 4.1;

# The edge in front of the news service: Varnish 7.1 with vmod xkey (varnish-modules).
# The origin decides what is shared and for how long (Surrogate-Control), tags every answer
# with the keys of what it read (Surrogate-Key), and purges those keys on every committed
# write (PURGE with xkey-purge / xkey-softpurge, from src/edge/varnish.ts).

import std;
import var;
import xkey;

# `npm run edge` rewrites the .host and .port lines of this backend: keep them as they are.
backend origin {
    .host = "app";
    .port = "1337";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
    # Sick after two failed probes out of three (about 2 s), so an origin that is down is not
    # even tried and the last good copies are served at once.
    .probe = {
        # Strapi's own /_health answers 204 as long as the process serves.
        .request = "GET /_health HTTP/1.1"
            "Host: localhost"
            "User-Agent: varnish-probe"
            "Connection: close";
        .expected_response = 204;
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        # Healthy from the start: readers are not turned away while the first probes run.
        .initial = 2;
    }
}

# Who may purge: this host, and the service itself under compose (optional when "app" does
# not resolve, e.g. `npm run edge` outside compose).
acl purgers {
    "127.0.0.1";
    "::1";
    ("app");
}

sub vcl_recv {
    call vcl_req_host;
    # Internal state travels in request headers across restarts: a client may not set it.
    if (req.restarts == 0) {
        unset req.http.X-Edge-Refresh;
        unset req.http.X-Edge-Stale-Ok;
    }

    if (req.method == "PURGE") {
        call edge_purge;
    }

    # Credentials, the admin and its APIs, previews, drafts and writes are never shared.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Strapi's admin session: the access token (admin.auth.cookie.name, default jwtToken), the
    # refresh token and koa-session's cookie (with its signature).
    if (req.http.Cookie ~ "(^|;)\s*(jwtToken|strapi_admin_refresh|koa\.sess(\.sig)?)=") {
        return (pass);
    }
    if (req.url ~ "(?i)^/(admin|content-manager|content-type-builder|upload|users-permissions|i18n|_health|_ready)(/|\?|$)" ||
        req.url ~ "(?i)^/api/(auth|users)(/|\?|$)" ||
        req.url ~ "(?i)^/news/preview(/|\?|$)") {
        return (pass);
    }
    # Any status other than exactly "published" (draft, DRAFT, status[]=…, %64raft).
    if (req.url ~ "(?i)[?&]status[^=&]*=(?!published(&|$))") {
        return (pass);
    }

    # Analytics and other cookies would split or bypass the cache: public answers ignore them.
    unset req.http.Cookie;
    # Parameter order must not split the cache.
    set req.url = std.querysort(req.url);

    if (req.http.X-Edge-Refresh && !req.http.X-Edge-Stale-Ok) {
        # vcl_hit saw a copy past stale-while-revalidate and the origin is up: fetch a fresh
        # one now (a miss) instead of serving the stale one.
        set req.grace = 0s;
    } elsif (req.http.X-Edge-Stale-Ok) {
        # A restart keeps req.grace (and 7.1 cannot unset it): lift the limit again.
        set req.grace = 10y;
    }
    return (hash);
}

sub edge_purge {
    if (client.ip !~ purgers) {
        return (synth(403, "Forbidden"));
    }
    if (!req.http.xkey-purge && !req.http.xkey-softpurge) {
        return (synth(400, "PURGE needs an xkey-purge or xkey-softpurge header"));
    }
    # Keys are separated by spaces or commas; each count is of (key, object) matches.
    set req.http.X-Purged = 0;
    if (req.http.xkey-purge) {
        set req.http.X-Purged = std.integer(req.http.X-Purged, 0) + xkey.purge(req.http.xkey-purge);
    }
    if (req.http.xkey-softpurge) {
        set req.http.X-Purged = std.integer(req.http.X-Purged, 0) + xkey.softpurge(req.http.xkey-softpurge);
    }
    return (synth(200, "Purged"));
}

sub vcl_hit {
    set req.http.X-Edge-Cache = "HIT";
    if (obj.ttl <= 0s) {
        set req.http.X-Edge-Cache = "STALE";
        # Past stale-while-revalidate only stale-if-error remains: the stale copy is for an
        # origin that is down or failing. Healthy origin: refetch now (vcl_hit has no
        # return (miss) in 7.1, hence the restart); vcl_synth comes back here with
        # X-Edge-Stale-Ok if that fetch fails.
        if (!req.http.X-Edge-Stale-Ok &&
            obj.ttl + std.duration(obj.http.X-Edge-Swr, 0s) <= 0s &&
            std.healthy(req.backend_hint)) {
            set req.http.X-Edge-Refresh = "1";
            return (restart);
        }
    }
    # Within stale-while-revalidate Varnish delivers the stale copy and starts one
    # background fetch.
    return (deliver);
}

sub vcl_miss {
    set req.http.X-Edge-Cache = "MISS";
    return (fetch);
}

sub vcl_pass {
    set req.http.X-Edge-Cache = "PASS";
    return (fetch);
}

sub vcl_backend_fetch {
    # A stale-if-error delivery right after a failed refetch: no second try for this reader.
    if (bereq.is_bgfetch && bereq.http.X-Edge-Stale-Ok) {
        return (abandon);
    }
    # Remembered for vcl_backend_response/_error without telling the origin.
    if (bereq.http.X-Edge-Refresh) {
        var.set("refresh", "1");
    }
    unset bereq.http.X-Edge-Refresh;
    unset bereq.http.X-Edge-Stale-Ok;
    unset bereq.http.X-Edge-Cache;
    # The origin answers edge fetches without its own response cache, so a copy fetched
    # right after a purge is never older than the purge. (`set` replaces what a client sent.)
    set bereq.http.X-Edge-Fetch = "1";
    return (fetch);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status >= 500) {
        # A completed fetch replaces (kills) the stale copy it refreshes, even with an error:
        # when there is one (background fetch, refresh past stale-while-revalidate), give up
        # the fetch instead and keep it. vcl_synth then retries with the stale copy allowed.
        if (bereq.is_bgfetch || var.get("refresh") == "1") {
            return (abandon);
        }
        # Nothing to fall back on: the reader gets the origin's answer, and nothing is kept.
        set beresp.ttl = 0s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Shared only when the origin says so: a 200 with Surrogate-Control, no cookie, nothing
    # private. Everything else is a hit-for-miss: the next answer may be cached again.
    if (beresp.status != 200 ||
        beresp.http.Surrogate-Control !~ "(?i)(^|[,\s])max-age=\d+" ||
        beresp.http.Surrogate-Control ~ "(?i)no-store" ||
        beresp.http.Cache-Control ~ "(?i)(private|no-store|no-cache)" ||
        beresp.http.Set-Cookie ||
        beresp.http.Vary == "*") {
        call edge_hit_for_miss;
    }

    # The directives as durations ("60s"); one that is absent counts as 0s.
    set beresp.http.X-Edge-Swr = "0s";
    set beresp.http.X-Edge-Sie = "0s";
    if (beresp.http.Surrogate-Control ~ "(?i)(^|[,\s])stale-while-revalidate=\d+") {
        set beresp.http.X-Edge-Swr = regsub(beresp.http.Surrogate-Control, "(?i)^(.*[,\s])?stale-while-revalidate=(\d+).*$", "\2s");
    }
    if (beresp.http.Surrogate-Control ~ "(?i)(^|[,\s])stale-if-error=\d+") {
        set beresp.http.X-Edge-Sie = regsub(beresp.http.Surrogate-Control, "(?i)^(.*[,\s])?stale-if-error=(\d+).*$", "\2s");
    }
    if (std.duration(beresp.http.X-Edge-Sie, 0s) > 7d) {
        set beresp.http.X-Edge-Sie = "7d";
    }
    set beresp.ttl = std.duration(regsub(beresp.http.Surrogate-Control, "(?i)^(.*[,\s])?max-age=(\d+).*$", "\2s"), 0s);
    # Only max-age (an answer with an embargo end): grace 0, never served past it.
    set beresp.grace = std.duration(beresp.http.X-Edge-Swr, 0s) + std.duration(beresp.http.X-Edge-Sie, 0s);
    if (beresp.ttl <= 0s && beresp.grace <= 0s) {
        call edge_hit_for_miss;
    }
    # Keys for PURGE: vmod xkey reads the stored `xkey` header (space or comma separated).
    # (It also reads X-HashTwo: keys come from Surrogate-Key only.)
    unset beresp.http.X-HashTwo;
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    return (deliver);
}

sub edge_hit_for_miss {
    set beresp.ttl = 120s;
    set beresp.uncacheable = true;
    return (deliver);
}

sub vcl_backend_error {
    # Origin down: as for a 5xx (vcl_backend_response). An error object delivered here could be
    # cached for a second (when readers wait) and hide the stale copy.
    if (bereq.is_bgfetch || var.get("refresh") == "1") {
        return (abandon);
    }
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set req.http.X-Edge-Cache = "PASS";
    }
    set resp.http.X-Edge-Cache = req.http.X-Edge-Cache;
    unset resp.http.X-Edge-Swr;
    unset resp.http.X-Edge-Sie;
    unset resp.http.xkey;
    return (deliver);
}

sub vcl_synth {
    if (req.method == "PURGE" && resp.status == 200) {
        set resp.http.X-Purged = req.http.X-Purged;
        set resp.body = "";
        return (deliver);
    }
    # A refetch past stale-while-revalidate failed (abandoned): once more, with the stale copy
    # allowed.
    if (resp.status == 503 && req.http.X-Edge-Refresh && !req.http.X-Edge-Stale-Ok) {
        set req.http.X-Edge-Stale-Ok = "1";
        return (restart);
    }
}
