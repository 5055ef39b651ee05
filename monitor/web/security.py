"""Security headers and cookie attributes, decided by pure functions from the request's shape."""

from __future__ import annotations

from aiohttp import web

CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SESSION_COOKIE = "yq_session"
LOGIN_CSRF_COOKIE = "yq_login_csrf"


def is_https(request_secure: bool, forwarded_proto: str | None, public_url: str) -> bool:
    """Served over https: directly, behind a proxy that says so, or configured with an https public URL."""
    if request_secure or public_url.lower().startswith("https://"):
        return True
    return (forwarded_proto or "").split(",")[0].strip().lower() == "https"


def security_headers(*, https: bool, static: bool) -> dict[str, str]:
    """Headers every response carries; dynamic responses are never cached (they hold people's data)."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # one-click links carry a signed token in the path: never leak it through Referer
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "public, max-age=300" if static else "no-store",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def set_secure_cookie(
    response: web.StreamResponse, name: str, value: str, *, https: bool, max_age: int
) -> None:
    """HttpOnly and SameSite=Strict always; Secure whenever the site is served over https."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=https, httponly=True, samesite="Strict"
    )


def see_other(location: str) -> web.Response:
    """A 303 redirect as a plain response (so cookies can be set on it and it is returned, not raised)."""
    return web.Response(status=303, headers={"Location": location})
