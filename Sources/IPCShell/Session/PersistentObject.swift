@preconcurrency import Glibc
import IPCSys
import IPCSyntax
/// A kernel object that outlives the shell (LANGUAGE.md §6): a System V segment, queue or
/// semaphore set, a FIFO. What this session (or a forked child of it) created and left is named
/// by the exit notice, with the command that removes it; `--cleanup` removes it instead. A new
/// kind of object is one conformance: `Session.finish()` knows no kind by name.
public protocol PersistentObject: AnyObject {
    /// How the exit notice and the clean-up speak of objects of this kind (shared by all of them).
    var leftovers: LeftoverGroup { get }
    /// Created by this session (not merely opened) and not removed by it since.
    var isLeftoverCandidate: Bool { get }
    /// Still there (another process may have removed it).
    func stillExists() -> Bool
    /// How a clean-up that failed names it (`buf`, `FIFO ./fifo`).
    var leftoverName: String { get }
    /// Its line in the exit notice (the group's lines come from `leftovers`), with the shell
    /// command that removes it (`ipcrm -m 32805`, `rm ./fifo`): the session has ended.
    var leftoverLine: String { get }
    /// The ipcsh command that removes it (`shm rm buf`), which an interactive notice adds.
    var removalInShell: String? { get }
    /// Removes it (`--cleanup`); returns how the clean-up line names it, or nil when it was gone.
    func removeForCleanup() throws -> String?
}

extension PersistentObject {
    public var removalInShell: String? { nil }

    /// Runs the call that removes the object; false when one of `gone` says someone removed it
    /// first (EINVAL/EIDRM for a System V id, ENOENT for a name), so the clean-up names nothing.
    func removed(ifGoneBy gone: Set<Int32>, _ remove: () throws(SystemCallError) -> Void) throws(SystemCallError) -> Bool {
        do throws(SystemCallError) {
            try remove()
            return true
        } catch {
            if gone.contains(error.errno) { return false }
            throw error
        }
    }
}

/// The errnos that say a System V id was removed by someone else; a POSIX name's.
let systemVGone: Set<Int32> = [EINVAL, EIDRM]
let posixNameGone: Set<Int32> = [ENOENT]

/// The exit notice and clean-up lines of one kind of persistent object, given all that remain.
public struct LeftoverGroup: Sendable {
    /// Groups are shown in this order (FIFOs before segments, as the notice always had them).
    public var order: Int
    /// The notice for the objects of this kind that remain. `interactive`: the session was at a
    /// prompt, where ipcsh commands mean something to the reader; a script's notice names
    /// only shell commands (`ipcrm`, `rm`) and what to change in the script.
    public var notice: @Sendable (_ objects: [any PersistentObject], _ interactive: Bool) -> [String]
    /// The clean-up report for the objects removed (what each `removeForCleanup` returned).
    public var cleanup: @Sendable (_ removed: [String]) -> [String]

    public init(order: Int, notice: @escaping @Sendable ([any PersistentObject], Bool) -> [String],
                cleanup: @escaping @Sendable ([String]) -> [String]) {
        self.order = order
        self.notice = notice
        self.cleanup = cleanup
    }
}

extension LeftoverGroup {
    /// The notice and clean-up lines of a kind of System V object: `note: 2 message queues created
    /// by this session remain in the kernel:`, one line each, how to remove them at exit.
    static func kernelObjects(order: Int, noun: String, plural: String) -> LeftoverGroup {
        LeftoverGroup(order: order, notice: { objects, interactive in
            guard !objects.isEmpty else { return [] }
            let n = objects.count
            return ["note: \(n) \(n == 1 ? noun : plural) created by this session remain\(n == 1 ? "s" : "") in the kernel:"]
                + objects.map { object in
                    "  " + object.leftoverLine + (interactive ? object.removalInShell.map { "  (or \($0) here)" } ?? "" : "")
                }
                + [interactive ? "  (ipcsh --cleanup or the command cleanup on removes them at exit)"
                               : "  (ipcsh --cleanup, or cleanup on in the script, removes them at exit)"]
        }, cleanup: { removed in
            removed.isEmpty ? [] : ["cleanup: removed " + removed.joined(separator: ", ")]
        })
    }
}
