import IPCSyntax
import IPCShell
/// The shortest edit script between two sequences of lines, in linear space: which lines of
/// `a` are removed and which of `b` added, everything else being common to both.
///
/// E. Myers, "An O(ND) difference algorithm and its variations" (1986), §4b: the middle snake
/// splits the problem in two, each solved the same way, so memory is O(n + m) (two vectors of
/// diagonals) and time O((n + m) · D) for D differences. As in GNU diff (analyze.c), a search
/// that grows too expensive (D in the thousands, lines that all differ) stops at the best
/// split found so far: the result is still a correct edit script, maybe not the shortest.
struct EditScript {
    /// `removed[i]`: line `i` of `a` is not in `b`.
    private(set) var removed: [Bool]
    /// `added[j]`: line `j` of `b` is not in `a`.
    private(set) var added: [Bool]

    private let x: [Int]
    private let y: [Int]
    /// Furthest x reached on each diagonal k = x - y, forwards and backwards (index k + offset).
    private var forward: [Int]
    private var backward: [Int]
    private let offset: Int
    private let tooExpensive: Int

    init<S: Hashable>(_ a: [S], _ b: [S]) {
        // Lines as small integers: a comparison is then one instruction, not a string compare.
        var ids: [S: Int] = [:]
        ids.reserveCapacity(a.count + b.count)
        func id(_ line: S) -> Int {
            if let known = ids[line] { return known }
            let new = ids.count
            ids[line] = new
            return new
        }
        x = a.map(id)
        y = b.map(id)
        removed = [Bool](repeating: false, count: a.count)
        added = [Bool](repeating: false, count: b.count)
        // Diagonals run from -m - 1 to n + 1.
        offset = b.count + 1
        forward = [Int](repeating: 0, count: a.count + b.count + 3)
        backward = forward
        // GNU diff's bound: about the square root of the size, at least 4096.
        var cost = 1, diagonals = a.count + b.count + 3
        while diagonals != 0 { diagonals >>= 2; cost <<= 1 }
        tooExpensive = max(4096, cost)
        compare(xLow: 0, xHigh: a.count, yLow: 0, yHigh: b.count, minimal: false)
    }

    /// Marks the differences between `x[xLow..<xHigh]` and `y[yLow..<yHigh]`.
    private mutating func compare(xLow: Int, xHigh: Int, yLow: Int, yHigh: Int, minimal: Bool) {
        var xLow = xLow, xHigh = xHigh, yLow = yLow, yHigh = yHigh, minimal = minimal
        while true {
            // Common lines at both ends are no difference.
            while xLow < xHigh && yLow < yHigh && x[xLow] == y[yLow] { xLow += 1; yLow += 1 }
            while xLow < xHigh && yLow < yHigh && x[xHigh - 1] == y[yHigh - 1] { xHigh -= 1; yHigh -= 1 }
            if xLow == xHigh {
                for j in yLow..<yHigh { added[j] = true }
                return
            }
            if yLow == yHigh {
                for i in xLow..<xHigh { removed[i] = true }
                return
            }
            let split = middleSnake(xLow: xLow, xHigh: xHigh, yLow: yLow, yHigh: yHigh, minimal: minimal)
            // The first half by recursion (D halves each level, so depth is small), the second by the loop.
            compare(xLow: xLow, xHigh: split.x, yLow: yLow, yHigh: split.y, minimal: split.lowMinimal)
            xLow = split.x
            yLow = split.y
            minimal = split.highMinimal
        }
    }

    /// A point on a shortest path through the box (or, when too expensive, a good one).
    /// The box's first and last lines differ (`compare` slid past the common ones).
    private mutating func middleSnake(xLow: Int, xHigh: Int, yLow: Int, yHigh: Int, minimal: Bool)
        -> (x: Int, y: Int, lowMinimal: Bool, highMinimal: Bool) {
        let dMin = xLow - yHigh, dMax = xHigh - yLow
        let fMid = xLow - yLow, bMid = xHigh - yHigh
        var fMin = fMid, fMax = fMid, bMin = bMid, bMax = bMid
        let odd = (fMid - bMid) & 1 != 0
        let o = offset
        forward[fMid + o] = xLow
        backward[bMid + o] = xHigh
        var cost = 1
        while true {
            // One more edit forwards, on every diagonal it reaches.
            if fMin > dMin { fMin -= 1; forward[fMin - 1 + o] = -1 } else { fMin += 1 }
            if fMax < dMax { fMax += 1; forward[fMax + 1 + o] = -1 } else { fMax -= 1 }
            var d = fMax
            while d >= fMin {
                let low = forward[d - 1 + o], high = forward[d + 1 + o]
                var i = low < high ? high : low + 1
                var j = i - d
                while i < xHigh && j < yHigh && x[i] == y[j] { i += 1; j += 1 }
                forward[d + o] = i
                if odd && bMin <= d && d <= bMax && backward[d + o] <= i {
                    return (i, j, true, true)
                }
                d -= 2
            }
            // One more edit backwards.
            if bMin > dMin { bMin -= 1; backward[bMin - 1 + o] = Int.max } else { bMin += 1 }
            if bMax < dMax { bMax += 1; backward[bMax + 1 + o] = Int.max } else { bMax -= 1 }
            d = bMax
            while d >= bMin {
                let low = backward[d - 1 + o], high = backward[d + 1 + o]
                var i = low < high ? low : high - 1
                var j = i - d
                while xLow < i && yLow < j && x[i - 1] == y[j - 1] { i -= 1; j -= 1 }
                backward[d + o] = i
                if !odd && fMin <= d && d <= fMax && i <= forward[d + o] {
                    return (i, j, true, true)
                }
                d -= 2
            }
            if !minimal && cost >= tooExpensive {
                // Give up on the shortest script: split where a search got furthest.
                var forwardBest = -1, forwardX = xLow
                d = fMax
                while d >= fMin {
                    var i = min(forward[d + o], xHigh)
                    var j = i - d
                    if yHigh < j { i = yHigh + d; j = yHigh }
                    if forwardBest < i + j { forwardBest = i + j; forwardX = i }
                    d -= 2
                }
                var backwardBest = Int.max, backwardX = xHigh
                d = bMax
                while d >= bMin {
                    var i = max(xLow, backward[d + o])
                    var j = i - d
                    if j < yLow { i = yLow + d; j = yLow }
                    if i + j < backwardBest { backwardBest = i + j; backwardX = i }
                    d -= 2
                }
                if (xHigh + yHigh) - backwardBest < forwardBest - (xLow + yLow) {
                    return (forwardX, forwardBest - forwardX, true, false)
                }
                return (backwardX, backwardBest - backwardX, false, true)
            }
            cost += 1
        }
    }
}
