// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ipcsh",
    products: [
        .executable(name: "ipcsh", targets: ["ipcsh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // GNU readline, linked by the modulemap alone (its pkg-config adds flags SwiftPM refuses).
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        // C for what Swift cannot import: macros, variadic and union-taking calls.
        .target(name: "CIPCShims", path: "Sources/CIPCShims"),
        // Typed system calls: one throwing API per kernel object, every call traceable.
        // Reading the trace sink (a global) on every call paid a dynamic exclusivity check,
        // ~60 instructions a read or write (callgrind); the shell is one thread (see IPCShell).
        .target(
            name: "IPCSys", dependencies: ["CIPCShims"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // bench's measured loops: each mechanism's ping-pong and stream in compiled code, untraced,
        // by the method of the reference C benchmark (scripts/ipcbench.c), which it must match.
        .target(name: "IPCBench", dependencies: ["IPCSys", "CIPCShims"]),
        // The language's syntax: lexer, parser, syntax tree, diagnostics. No system calls, no session.
        // Its words and simple commands are on every command's path: release builds serialize its
        // bodies (-cross-module-optimization) so the shell inlines and specializes them as it did
        // when they were one module (without it, 20% slower: scripts/bench.sh).
        .target(
            name: "IPCSyntax",
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked", "-Xfrontend", "-assume-single-threaded",
                                          "-cross-module-optimization"], .when(configuration: .release))]
        ),
        // Sequence diagrams of a session: the event log's format, the model built from it, and
        // its SVG and Mermaid renderings. Pure: no system calls, no session.
        .target(name: "IPCDiagram"),
        // The session, its commands and the runtime that runs them. No terminal code.
        .target(
            name: "IPCShell", dependencies: ["IPCSyntax", "IPCSys", "IPCBench", "IPCDiagram"],
            // Dynamic exclusivity checks cost ~10% of a script's run time (scripts/bench.sh);
            // debug builds, which the tests run, keep them. The shell is one thread by design
            // (fork is only safe so; PipesAndProcessesTests checks /proc's Threads: 1), so
            // reference counts need no atomic instructions: -assume-single-threaded.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked", "-Xfrontend", "-assume-single-threaded"], .when(configuration: .release))]
        ),
        // The teaching features: record, replay, check (later emit-c and diagram). The runtime
        // knows a recorder only as SessionRecording: it cannot import this.
        .target(name: "IPCTeaching", dependencies: ["IPCShell", "IPCSyntax", "IPCSys"]),
        // readline: callback interface in a poll loop, history, completion, Ctrl-C.
        .target(name: "LineEditor", dependencies: ["CReadline"]),
        .executableTarget(
            name: "ipcsh",
            dependencies: [
                "IPCShell", "IPCSyntax", "IPCTeaching", "LineEditor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The release binary is a static executable: no dynamic loader, no libstdc++ to
            // map and relocate, no symbol look-ups at start (start-up 5.2 -> 2.3 ms, as fast as
            // `bash -c true`; scripts/bench.sh). libreadline.a needs libtinfo.a (both from
            // libreadline-dev's dependencies); lld, from the Swift toolchain, links it without
            // gold's warnings about glibc's NSS functions (getpwuid), which a static binary still
            // loads from the machine's glibc: build it where it runs, as the README says.
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld", "-ltinfo"], .when(configuration: .release))]
        ),
        .testTarget(name: "IPCSysTests", dependencies: ["IPCSys"]),
        .testTarget(name: "IPCShellTests", dependencies: ["IPCShell", "IPCSyntax", "IPCTeaching", "IPCDiagram"]),
        .testTarget(
            name: "IntegrationTests",
            // Depends on the executable so `swift test` always builds the binary it runs.
            dependencies: ["IPCShell", "IPCSyntax", "IPCTeaching", "IPCSys", "IPCDiagram", "ipcsh"],
            resources: [.copy("Peers")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
