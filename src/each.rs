//! Per-tensor work spread over every core once a checkpoint has enough tensors to pay for it.

use rayon::prelude::*;

/// From how many items the work goes to the thread pool: a Llama's few hundred tensors stay on the calling thread
/// (starting the pool's threads cost more than them), DeepSeek-V3's 92k do not.
pub const PARALLEL_FROM: usize = 8192;

/// The least each of the pool's tasks takes, so a task's work outweighs handing it over.
const PER_TASK: usize = 4096;

/// `f` of every item, in order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() >= PARALLEL_FROM {
        items.par_iter().with_min_len(PER_TASK).map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// `f` of every item, in order, with a state (a cache) each task starts afresh with `init`.
pub fn map_with<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &T) -> R + Sync + Send,
) -> Vec<R> {
    if items.len() >= PARALLEL_FROM {
        items
            .par_iter()
            .with_min_len(PER_TASK)
            .map_init(init, f)
            .collect()
    } else {
        let mut state = init();
        items.iter().map(|t| f(&mut state, t)).collect()
    }
}

/// The sum by `add` of `f` of every item (`add` associative, `A::default()` its zero).
pub fn sum<T: Sync, A: Send + Default>(
    items: &[T],
    f: impl Fn(&T) -> A + Sync + Send,
    add: impl Fn(A, A) -> A + Sync + Send,
) -> A {
    if items.len() >= PARALLEL_FROM {
        items
            .par_iter()
            .with_min_len(PER_TASK)
            .map(f)
            .reduce(A::default, add)
    } else {
        items.iter().map(f).fold(A::default(), add)
    }
}

/// Every item folded by `f` into an `A` (from `A::default()`), parts of the items on every core, the parts'
/// results merged in order by `merge(earlier, later)`.
pub fn fold<T: Sync, A: Send + Default>(
    items: &[T],
    f: impl Fn(A, &T) -> A + Sync + Send,
    merge: impl Fn(A, A) -> A + Sync + Send,
) -> A {
    if items.len() >= PARALLEL_FROM {
        items
            .par_iter()
            .with_min_len(PER_TASK)
            .fold(A::default, f)
            .reduce(A::default, merge)
    } else {
        items.iter().fold(A::default(), f)
    }
}

/// `a()` and `b()`, side by side on the pool when they work on `items` items, at least [`PARALLEL_FROM`].
pub fn both<A: Send, B: Send>(
    items: usize,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if items >= PARALLEL_FROM {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_on_one_thread_and_on_many() {
        for n in [3, super::PARALLEL_FROM * 3 + 1] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = super::map(&items, |i| i * 2);
            assert_eq!(doubled, (0..n).map(|i| i * 2).collect::<Vec<_>>());
            let counted = super::map_with(
                &items,
                || 0,
                |seen, i| {
                    *seen += 1;
                    (i * 2, *seen)
                },
            );
            assert_eq!(counted.iter().map(|c| c.0).collect::<Vec<_>>(), doubled);
            assert!(counted.iter().all(|c| c.1 >= 1 && c.1 <= n));
            // Merged in order: the items come back as they were.
            let joined = super::fold(
                &items,
                |mut v: Vec<usize>, &i| {
                    v.push(i);
                    v
                },
                |mut a, b| {
                    a.extend(b);
                    a
                },
            );
            assert_eq!(joined, items);
            assert_eq!(
                super::sum(&items, |&i| i as u64, |a, b| a + b),
                (n * (n - 1) / 2) as u64
            );
        }
    }
}
