//! Render time by number of points in the window: flat once the points outnumber the pixel columns.
//!
//! `cargo bench -p api --bench render`

use api::plot::{PlotInput, PlotShape, render_png};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const FROM: i64 = 1_795_688_420_000;
const SPAN_MS: i64 = 86_400_000;

fn samples(count: usize) -> Vec<(i64, u64)> {
    (0..count).map(|i| (FROM + (i as i64 * SPAN_MS) / count as i64, ((i * 7_919) % 100_000) as u64)).collect()
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render_png");
    group.sample_size(20);
    for count in [10, 1_000, 100_000, 1_000_000] {
        let points = samples(count);
        group.bench_with_input(BenchmarkId::from_parameter(count), &points, |b, points| {
            b.iter(|| {
                render_png(&PlotInput {
                    bucket: "size-tracking-local",
                    window_seconds: 86_400,
                    from_ms: FROM,
                    to_ms: FROM + SPAN_MS,
                    carry_in: Some(0),
                    samples: points,
                    max: Some(100_000),
                    shape: PlotShape::default(),
                })
                .expect("renders")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
