"""Response headers that harden every page: a Content-Security-Policy and a Permissions-Policy.

Public pages get a strict policy: no inline script or style at all (the site's CSS and its one script, site.js, are
static files; the Anpassa looks are classes on <html>, never a style attribute), nothing from another origin (site.js
posts an Anpassa choice to /anpassa/ with fetch, allowed by default-src 'self'; Lyssna uses the browser's own speech,
no service), no framing. The Django admin (ours and django-import-export's templates) needs
inline scripts and styles in places, so under /admin/ the policy allows those two and is otherwise the same: the
admin is reached only by signed-in staff, and every other directive still holds there.
"""

from __future__ import annotations

COMMON = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
PUBLIC = {**COMMON, "script-src": "'self'", "style-src": "'self'"}
ADMIN = {**COMMON, "script-src": "'self' 'unsafe-inline'", "style-src": "'self' 'unsafe-inline'"}


def policy_text(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


PUBLIC_POLICY = policy_text(PUBLIC)
ADMIN_POLICY = policy_text(ADMIN)

# Features no page of ours uses: a page (or anything injected into it) cannot ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


def is_admin_path(path: str) -> bool:
    return path.startswith("/admin/")


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy (strict, or the admin's) and Permissions-Policy to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = ADMIN_POLICY if is_admin_path(request.path) else PUBLIC_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
