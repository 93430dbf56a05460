"""Every file name of a release tree (docs/design.md §4), spelled here and nowhere else.

``dist/<namespace>/`` holds the build's files and ``manifest.json`` (``trails build``),
then ``release.dsse.json`` (``trails sign``) and, with ``--cms``, the CMS pair;
``dist/index.dsse.json`` lists the releases one ``trails sign`` run signed.
"""

from __future__ import annotations

OSQUERY_CONF = "osquery.conf"
AUDIT_RULES = "audit.rules"
MANIFEST = "manifest.json"  # unsigned, from trails build
RELEASE_ENVELOPE = "release.dsse.json"  # the signed manifest, what agents fetch
INDEX_ENVELOPE = "index.dsse.json"  # at the dist/ root: the signed set of releases
CMS_CONTENT = "release.manifest.json"  # --cms: the manifest bytes ...
CMS_SIGNATURE = "release.manifest.json.p7s"  # ... and their detached CMS signature
EXCEPTIONS = "exceptions.json"  # the namespace's signed exceptions (trails.formats.exceptions)
