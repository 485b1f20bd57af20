"""HTTP to a real ComfyUI for the local check scripts (docs/comfyui.md): JSON in, (status, raw body) out, with
ComfyUI's error replies returned rather than raised, because several checks expect a 400."""
import json
import urllib.error
import urllib.request


def make_http(base, timeout=60):
    """``http(path, body=None)`` against ``base``: GET without a body, POST of JSON with one."""
    def http(path, body=None):
        req = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
    return http
