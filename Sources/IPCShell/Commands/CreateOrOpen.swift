@preconcurrency import Glibc
import IPCSys

/// `X create`: make a kernel object, or open the one that has the key or name (unless
/// `--excl`): `create` with the exclusive flag, then on EEXIST `open`. Another process may
/// remove it between the two calls (ENOENT): then both are tried again, as `shm create` does.
enum CreateOrOpen {
    static func run<T>(exclusive: Bool, create: () throws(SystemCallError) -> T,
                       open: () throws(SystemCallError) -> T) throws(SystemCallError) -> (value: T, created: Bool) {
        var attempt = 0
        while true {
            attempt += 1
            do throws(SystemCallError) {
                return (try create(), true)
            } catch {
                guard error.errno == EEXIST, !exclusive else { throw error }
            }
            do throws(SystemCallError) {
                return (try open(), false)
            } catch {
                guard error.errno == ENOENT, attempt < 100 else { throw error }
            }
        }
    }
}
