"""Policy sources -> merged, validated, versioned artifacts (trails build, lint, diff).

``compile_repository`` validates and renders every namespace without writing;
``build_release`` adds the git version and manifests and writes ``dist/``;
``diff_builds`` compares two compiled builds. See docs/policies.md for the format.
"""

from trails.build.diff import NamespaceDiff, diff_builds
from trails.build.pipeline import CompiledNamespace, CompileResult, compile_repository
from trails.build.release import BuildResult, build_release

__all__ = [
    "BuildResult",
    "CompileResult",
    "CompiledNamespace",
    "NamespaceDiff",
    "build_release",
    "compile_repository",
    "diff_builds",
]
