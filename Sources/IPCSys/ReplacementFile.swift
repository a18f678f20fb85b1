@preconcurrency import Glibc

/// A file that replaces what is at its path only once it is complete: it is written to a
/// temporary file next to the path (`.NAME.XXXXXX`, with the mode and owner the file has or
/// would get) and renamed over it. A path that exists and is not a regular file (`/dev/full`, a
/// FIFO, a terminal), or that names a device or the process's own files (`/dev/...`,
/// `/proc/...`), is written directly: renaming over it would replace the device with a file.
/// Used for recordings, which may replace the very script being recorded.
public struct ReplacementFile {
    public let fd: Int32
    /// Where the file is written until `replace()`, or nil when it is written at its path directly.
    public let temporaryPath: String?
    /// The path with its symbolic links resolved: recording through a link replaces the file
    /// it points to, not the link.
    public let finalPath: String

    /// Why the file could not be opened.
    public struct OpenError: Error {
        public var errno: Int32
        /// The temporary file's template, when the path exists and its directory refused it.
        public var temporaryTemplate: String?
    }

    public static func open(_ path: String) throws(OpenError) -> ReplacementFile {
        func direct() throws(OpenError) -> ReplacementFile {
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw OpenError(errno: Errno.current) }
            return ReplacementFile(fd: fd, temporaryPath: nil, finalPath: path)
        }
        // Devices and the process's own files by name (/dev/stdout, /proc/self/fd/1) are
        // written where they are, even when they lead to a regular file.
        if path.hasPrefix("/dev/") || path.hasPrefix("/proc/") { return try direct() }
        var status = stat()
        let mode: mode_t
        let finalPath: String
        var owner: (uid: uid_t, gid: gid_t)?
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFREG else { return try direct() }
            // The file behind any symbolic links; when that is in doubt, write in place.
            guard let resolved = realpath(path, nil) else { return try direct() }
            finalPath = String(cString: resolved)
            free(resolved)
            var again = stat()
            guard stat(finalPath, &again) == 0, again.st_dev == status.st_dev, again.st_ino == status.st_ino else {
                return try direct()
            }
            mode = status.st_mode & 0o7777
            owner = (status.st_uid, status.st_gid)
        } else {
            let error = Errno.current
            guard error == ENOENT else { throw OpenError(errno: error) }
            // A dangling symbolic link: nothing to lose; creating through it makes the file it names.
            if lstat(path, &status) == 0 { return try direct() }
            finalPath = path
            let mask = umask(0)
            umask(mask)
            mode = 0o644 & ~mask
        }
        let directory: String, name: Substring
        if let slash = finalPath.lastIndex(of: "/") {
            directory = slash == finalPath.startIndex ? "/" : String(finalPath[..<slash])
            name = finalPath[finalPath.index(after: slash)...]
        } else {
            directory = "."
            name = finalPath[...]
        }
        // `.NAME.XXXXXX`, within NAME_MAX however long NAME is.
        var shortName = ""
        for scalar in name.unicodeScalars {
            if shortName.utf8.count + String(scalar).utf8.count > 200 { break }
            shortName.unicodeScalars.append(scalar)
        }
        let templateText = "\(directory)/.\(shortName).XXXXXX"
        var template = Array(templateText.utf8CString)
        // mkstemp (Swift's Glibc has no mkostemp): no other thread can exec before FD_CLOEXEC is set.
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw OpenError(errno: Errno.current, temporaryTemplate: owner == nil ? nil : templateText)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // mkstemp makes it 0600: give it the mode (and, when allowed, the owner) the file has or would have.
        fchmod(fd, mode)
        if let owner, owner.uid != geteuid() || owner.gid != getegid() {
            _ = fchown(fd, owner.uid, owner.gid)
        }
        return ReplacementFile(fd: fd, temporaryPath: temporaryPath, finalPath: finalPath)
    }

    /// Writes every byte, retrying short writes and EINTR; the errno of a failure (EIO for a
    /// write that takes nothing), or nil.
    public func write(_ raw: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if Errno.current == EINTR { continue }
                return Errno.current
            }
            // A write that takes nothing of a non-empty buffer would repeat for ever.
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }

    /// Closes the descriptor; the errno of a failure that may have lost data, or nil.
    public func close() -> Int32? {
        Glibc.close(fd) != 0 && Errno.current != EINTR ? Errno.current : nil
    }

    /// Renames the temporary file over the path (after `close()`); on failure it is removed.
    public func replace() throws(SystemCallError) {
        guard let temporaryPath else { return }
        if rename(temporaryPath, finalPath) != 0 {
            let error = Errno.current
            unlink(temporaryPath)
            throw SystemCallError("rename", errno: error)
        }
    }

    /// Writes `bytes` as the whole file, closes it and puts it in place; on failure the path
    /// keeps what it had. The failure, as `ENOSPC (No space left on device)`, or nil.
    public func finish(with bytes: [UInt8]) -> String? {
        let writeFailed = bytes.withUnsafeBytes { write($0) }
        let closeFailed = close()
        if let failed = writeFailed ?? closeFailed {
            discard()
            return "\(Errno.symbol(failed)) (\(Errno.text(failed)))"
        }
        do throws(SystemCallError) { try replace() } catch {
            return "\(error.symbol) (\(error.text))"
        }
        return nil
    }

    /// `bytes` as the whole content of `path`, in one step (`open`, `finish`): nil, or what
    /// went wrong: `cannot create PATH: EACCES (...)`, `cannot write PATH: ENOSPC (...)`.
    public static func writeWhole(_ path: String, _ bytes: [UInt8]) -> String? {
        let file: ReplacementFile
        do throws(OpenError) { file = try open(path) } catch {
            return "cannot create \(path): \(Errno.symbol(error.errno)) (\(Errno.text(error.errno)))"
        }
        return file.finish(with: bytes).map { "cannot write \(path): " + $0 }
    }

    /// Removes the temporary file: the path keeps what it had.
    public func discard() {
        if let temporaryPath { unlink(temporaryPath) }
    }
}
