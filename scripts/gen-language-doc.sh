#!/usr/bin/env bash
# Regenerates the command reference in docs/language.md from the command specs
# (the text `help COMMAND` prints), then checks the docs. Run it after adding or
# changing a command; DocsTests fails until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
IPCSH_UPDATE_DOCS=1 swift test --filter 'DocsTests.testCommandReferenceIsGeneratedFromTheCurrentSpecs'
swift test --skip-build --filter DocsTests
