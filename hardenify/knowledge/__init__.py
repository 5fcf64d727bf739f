"""Facts about the world that rules, fixes and the generator share, kept as data with sources.

One module per kind of fact: `images` (what an image family needs to start: user, capabilities,
writable paths, privilege dropping), `bases` (base-image families: shell, users, package manager),
`programs` (programs whose presence changes what a fix may do: privilege droppers, init systems),
`runtimes` (HF413's builder and runtime bases), `minimal` (slimmer variants), `secrets` (secret
names, token formats, credential files), `dockerignore` (default excludes), `tools` (installers),
`eol` (end-of-life dates), `actions` (pinned CI actions).
Nothing outside this package keeps its own copy of these facts.
"""
