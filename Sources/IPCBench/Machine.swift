@preconcurrency import Glibc
import IPCSys

/// The machine a figure was measured on: figures from different machines do not compare.
public struct Machine: Sendable, Equatable {
    /// /proc/cpuinfo's "model name" (nil when it has none, as on some ARM machines).
    public var cpuModel: String?
    /// CPUs online.
    public var cores: Int
    /// uname: "Linux 6.1.0-18-amd64".
    public var kernel: String

    public static func current() -> Machine {
        var model: String? = nil
        if let text = try? FileSystem.readWholeFile("/proc/cpuinfo") {
            for line in text.split(separator: "\n") where line.hasPrefix("model name") {
                if let colon = line.firstIndex(of: ":") {
                    model = line[line.index(after: colon)...].trimmingPrefix(" ").description
                }
                break
            }
        }
        var names = utsname()
        _ = uname(&names)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return Machine(cpuModel: model, cores: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
                       kernel: field(names.sysname) + " " + field(names.release))
    }
}
