/// Shared lines for the Python peer scripts of the socket and RPC tests.
enum PythonPeers {
    /// Every subprocess a peer script starts is killed and reaped when the script ends, even
    /// when an assert fails or the harness's timeout sends SIGTERM: no ipcsh outlives a test.
    /// (Needs `subprocess` and `sys` imported first.)
    static let reaper = """
        import atexit, signal
        STARTED = []
        _Popen = subprocess.Popen
        class Popen(_Popen):
            def __init__(self, *a, **k):
                super().__init__(*a, **k); STARTED.append(self)
        subprocess.Popen = Popen
        @atexit.register
        def _reap():
            for q in STARTED:
                if q.poll() is None: q.kill(); q.wait()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        """
}
