package store_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

// weddingSeason is a typical wedding supplier's cash pattern, January .. December: strong May to
// October, quiet winter.
var weddingSeason = [12]float64{0.35, 0.4, 0.55, 0.8, 1.3, 1.7, 1.6, 1.65, 1.75, 1.35, 0.5, 0.45}

// synthSeries builds months of revenue with yearly growth, the wedding season and uniform noise
// of ±noise. (Floats only generate the fixture; the code under test is exact.)
func synthSeries(rng *rand.Rand, months int, growth, noise float64) []int64 {
	out := make([]int64, months)
	for m := range out {
		level := 1_000_000 * math.Pow(1+growth, float64(m)/12)
		out[m] = int64(math.Round(level * weddingSeason[m%12] * (1 + noise*(2*rng.Float64()-1))))
	}
	return out
}

// mapeOracle recomputes the backtest from its definition with plain Go.
func mapeOracle(series []int64, months int, f store.Forecaster) *big.Rat {
	total, n := new(big.Rat), 0
	for m := len(series) - months; m < len(series); m++ {
		if series[m] == 0 {
			continue
		}
		e := big.NewRat(series[m]-f(series[:m], 1), series[m])
		total.Add(total, e.Abs(e))
		n++
	}
	if n == 0 {
		return nil
	}
	return total.Mul(total, big.NewRat(100, int64(n)))
}

func ratOf(t *testing.T, s *string) *big.Rat {
	t.Helper()
	require.NotNil(t, s)
	r, ok := new(big.Rat).SetString(*s)
	require.True(t, ok, *s)
	return r
}

func TestForecastBeatsSeasonalNaiveOnGrowingSeries(t *testing.T) {
	t.Parallel()
	modelSum, baseSum := new(big.Rat), new(big.Rat)
	wins, runs := 0, 0
	for seed := uint64(1); seed <= 50; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		growth := 0.08 + 0.12*rng.Float64() // 8% .. 20% a year
		series := synthSeries(rng, 60, growth, 0.15)
		model := store.BacktestMAPE(series, 12, store.ForecastModel)
		base := store.BacktestMAPE(series, 12, store.SeasonalNaive)
		require.Equal(t, mapeOracle(series, 12, store.ForecastModel).FloatString(1), *model)
		require.Equal(t, mapeOracle(series, 12, store.SeasonalNaive).FloatString(1), *base)
		m, b := ratOf(t, model), ratOf(t, base)
		modelSum.Add(modelSum, m)
		baseSum.Add(baseSum, b)
		if m.Cmp(b) < 0 {
			wins++
		}
		runs++
	}
	// The mean backtest error must be clearly lower (at least a fifth) and the model must win
	// nearly every single 12-month backtest.
	require.Negative(t, new(big.Rat).Mul(modelSum, big.NewRat(5, 4)).Cmp(baseSum),
		"model %s vs seasonal-naive %s (sums of MAPE)", modelSum.FloatString(1), baseSum.FloatString(1))
	require.GreaterOrEqual(t, wins*100/runs, 85, "model won %d of %d backtests", wins, runs)
}

func TestForecastBeatsSeasonalNaiveOnFlatSeriesOnAverage(t *testing.T) {
	t.Parallel()
	modelSum, baseSum := new(big.Rat), new(big.Rat)
	wins := 0
	for seed := uint64(1); seed <= 40; seed++ {
		series := synthSeries(rand.New(rand.NewPCG(seed, 7)), 60, 0, 0.2)
		m, b := ratOf(t, store.BacktestMAPE(series, 12, store.ForecastModel)), ratOf(t, store.BacktestMAPE(series, 12, store.SeasonalNaive))
		modelSum.Add(modelSum, m)
		baseSum.Add(baseSum, b)
		if m.Cmp(b) < 0 {
			wins++
		}
	}
	require.Negative(t, modelSum.Cmp(baseSum), "model %s vs baseline %s", modelSum.FloatString(1), baseSum.FloatString(1))
	require.Greater(t, wins, 25, "the model should win most flat series")
}

func TestForecastModelExactOnCleanGrowth(t *testing.T) {
	t.Parallel()
	// Three years of an exact pattern growing 10% a year (multiples of 1000 keep it exact):
	// every same-month share is identical, so the forecast is the month one year back × 1.1.
	var series []int64
	for y := range 4 {
		for m := range 12 {
			v := int64(1000 * (m + 1) * 100)
			for range y {
				v = v * 11 / 10
			}
			series = append(series, v)
		}
	}
	for ahead := 1; ahead <= 12; ahead++ {
		want := series[len(series)-12+ahead-1] * 11 / 10
		require.Equal(t, want, store.ForecastModel(series, ahead), "ahead %d", ahead)
		require.Equal(t, series[len(series)-12+ahead-1], store.SeasonalNaive(series, ahead))
	}
	require.Equal(t, "0.0", *store.BacktestMAPE(series, 12, store.ForecastModel))
	require.Equal(t, "9.1", *store.BacktestMAPE(series, 12, store.SeasonalNaive)) // 1 - 1/1.1 = 9.09%
}

func TestForecastModelGrowthIsClampedAndShortHistoryFallsBack(t *testing.T) {
	t.Parallel()
	require.Zero(t, store.ForecastModel(nil, 1))
	require.Zero(t, store.ForecastModel([]int64{0, 0, 0}, 1))
	// Less than 12 months since the first revenue: the mean month (1000+2000+4000)/3 = 2333.33.
	require.Equal(t, int64(2333), store.ForecastModel([]int64{0, 0, 1000, 2000, 4000}, 3))
	// The mean 1.5 rounds half away from zero.
	require.Equal(t, int64(2), store.ForecastModel([]int64{1, 2}, 1))
	// A year of 100 then a year of 1000 (10x growth) is clamped to 2x: 1000 × 2.
	series := make([]int64, 24)
	for i := range series {
		series[i] = 100
		if i >= 12 {
			series[i] = 1000
		}
	}
	require.Equal(t, int64(2000), store.ForecastModel(series, 1))
	// Only one full year after the first revenue: no growth factor, seasonal-naive.
	require.Equal(t, int64(1000), store.ForecastModel(series[10:], 1))
	require.Zero(t, store.ForecastModel(series, 0))
	require.Zero(t, store.ForecastModel(series, 13))
	require.Zero(t, store.SeasonalNaive(series[:5], 1))
}

func TestForecastBacktestLeavesOutZeroMonths(t *testing.T) {
	t.Parallel()
	series := []int64{100, 0, 300, 400, 200, 0, 300, 300}
	f := func(history []int64, ahead int) int64 { return 250 }
	// Last 4 months: 200 (|200-250|/200 = 25%), 0 (left out), 300 and 300 (16.67% each):
	// (25 + 16.666.. + 16.666..) / 3 = 19.444.. -> 19.4
	require.Equal(t, "19.4", *store.BacktestMAPE(series, 4, f))
	require.Nil(t, store.BacktestMAPE([]int64{0, 0, 0}, 2, f))
	// Rounding half away from zero on the exact value: one month of |1000-1125|/1000 = 12.5%.
	g := func([]int64, int) int64 { return 1125 }
	require.Equal(t, "12.5", *store.BacktestMAPE([]int64{1000}, 1, g))
	h := func([]int64, int) int64 { return 1 }
	require.Equal(t, "66.7", *store.BacktestMAPE([]int64{3}, 1, h)) // 2/3
}

func TestForecastRevenueBand(t *testing.T) {
	t.Parallel()
	covered, total := 0, 0
	for seed := uint64(1); seed <= 20; seed++ {
		series := synthSeries(rand.New(rand.NewPCG(seed, 3)), 61, 0.12, 0.15)
		// Forecast from the first 49 months (48 complete + a current one) and check the band
		// against what really came next.
		f := store.ForecastRevenue(series[:49])
		require.Len(t, f.Expected, 6)
		require.NotNil(t, f.MAPE)
		require.NotNil(t, f.BaselineMAPE)
		for h := range 6 {
			require.LessOrEqual(t, f.Low[h], f.Expected[h])
			require.GreaterOrEqual(t, f.High[h], f.Expected[h])
			require.GreaterOrEqual(t, f.Low[h], int64(0))
			require.Equal(t, store.ForecastModel(series[:48], h+2), f.Expected[h])
			if actual := series[49+h]; actual >= f.Low[h] && actual <= f.High[h] {
				covered++
			}
			total++
		}
	}
	require.Greater(t, covered*100/total, 55, "an 80%% band should cover most months (%d of %d)", covered, total)
	require.Less(t, covered*100/total, 100, "a band that always covers is too wide (%d of %d)", covered, total)

	// No history: zero forecasts, nulls, default band.
	f := store.ForecastRevenue([]int64{0})
	require.Equal(t, []int64{0, 0, 0, 0, 0, 0}, f.Expected)
	require.Nil(t, f.MAPE)
	require.Nil(t, f.BaselineMAPE)
}
