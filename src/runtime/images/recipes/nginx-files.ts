/**
 * The configuration our nginx image ships, shaped like upstream's image so pods written for it
 * work: the server lives in /etc/nginx/conf.d/default.conf (often replaced by a ConfigMap),
 * logs go to the container's stdout/stderr, and `daemon off;` comes from the Cmd
 * (`nginx -g 'daemon off;'`), not from the file — a file with it too would make upstream's
 * command fail with a duplicate directive.
 */

/** /etc/nginx/nginx.conf. Workers run as root so the image also works in a single-uid userns. */
export const NGINX_CONF = `user root;
worker_processes 1;

error_log /dev/stderr notice;
pid /run/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
`;

/** /etc/nginx/conf.d/default.conf: port 80, the welcome page. */
export const NGINX_DEFAULT_SERVER = `server {
    listen 80;
    server_name localhost;

    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }
}
`;

/** /etc/nsswitch.conf, so glibc's user lookups (nginx's `user`) read /etc/passwd. */
export const NSSWITCH_CONF = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n';
