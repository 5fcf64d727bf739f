"""`--prove`: build and run each changed Dockerfile before and after its fix, and say what held.

The evidence a fleet PR carries: both images built from the same context, their configs, file
trees and sizes compared, and both started with the hardened run options. A fixed image that
fails where the original passed is reverted; a build that cannot run here (network, private
base, missing argument) is *unproven*, never a failure of the fix.

Modules: `model` (pure comparison and verdicts), `buildlog` (why a build failed, redacted
excerpts), `docker` (the bounded `docker` CLI), `wiring` (build args and secrets from the
command line, compose and the original file), `run` (one Dockerfile end to end, and reverting).
"""
