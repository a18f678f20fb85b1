#!/usr/bin/env bash
# Regenerates what is generated from the command specs and the command line's options: the
# command reference in docs/language.md (the text `help COMMAND` prints), the manual page
# docs/ipcsh.1 (ipcsh --generate-manual) and the shell completion scripts in completions/
# (ipcsh --generate-completion-script SHELL); then checks them. Run it after adding or changing
# a command or an option; DocsTests and ManualAndCompletionTests fail until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
IPCSH_UPDATE_DOCS=1 swift test --filter 'DocsTests.testCommandReferenceIsGeneratedFromTheCurrentSpecs|ManualAndCompletionTests.test(TheManualPageIsGeneratedFromTheCurrentSpecs|TheCompletionScriptsAreGeneratedFromTheCurrentOptions)'
swift test --skip-build --filter 'DocsTests|ManualPageTests|ManualAndCompletionTests'
