#!/usr/bin/env bash
# Fuzz the file readers with libFuzzer (clang), under AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET (default 300)] [TARGET...]   targets: fuzz_patterns fuzz_structures fuzz_zip
#
# Builds build-fuzz/ (clang, the library with -fsanitize=fuzzer-no-link,address,undefined), seeds each target's
# corpus (build-fuzz/corpus/TARGET) from the fixtures, the examples and, where ../shared/data is present, a
# few files of it, then runs each target for the given time on one core. A crash, a leak, a timeout (10 s on one
# input) or a refusal without a message stops the target and leaves the input in build-fuzz/crashes/; the
# script then exits 1. Not part of ctest: a fuzz run has no fixed end (README, Tests).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_patterns fuzz_structures fuzz_zip)
command -v clang >/dev/null || { echo "fuzz.sh: needs clang (apt-get install -y clang)" >&2; exit 2; }
B=build-fuzz
CC=clang cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DXS_WITH_FUZZERS=ON -DXS_WITH_SANITIZED_TESTS=OFF \
  -DBUILD_TESTING=OFF -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build $B -j2 --target "${targets[@]}" fuzz_seed_raw >/dev/null

shared=${XS_SHARED_DATA:-../shared/data}
seed_patterns() { # the first byte of an input picks the extension (tests/fuzz/fuzz_patterns.c): 0 .xy, 4 .xrdml,
                  # 5 .ras, 7 .raw, 9 .gsa, 10 .fxye, 11 .cif, 12 .tsv
  local c=$B/corpus/fuzz_patterns; mkdir -p $c
  { printf '\x00'; head -c 20000 examples/quartz-simulated.xy; } > $c/seed-xy
  { printf '\x00'; printf '# wavelength 1.5406\n10 5\n10.5 7\n11 100\n11.5 6\n12 5\n'; } > $c/seed-xy-small
  { printf '\x00'; printf '# wavelength 1,5406\n# lambda 15.406\n# energy 8.04 keV\n10 5\n10.5 7\n11 100\n11.5 6\n12 5\n'; } > $c/seed-xy-header
  { printf '\x04'; cat <<'X'
<?xml version="1.0"?><xrdMeasurements><xrdMeasurement><usedWavelength><kAlpha1 unit="Angstrom">1.5406</kAlpha1><kAlpha2 unit="Angstrom">1.5444</kAlpha2><ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1></usedWavelength><scan><dataPoints><positions axis="2Theta" unit="deg"><startPosition>10</startPosition><endPosition>12</endPosition></positions><intensities unit="counts">5 7 100 6 5</intensities></dataPoints></scan></xrdMeasurement></xrdMeasurements>
X
  } > $c/seed-xrdml
  { printf '\x05'; printf '*RAS_DATA_START\r\n*HW_XG_WAVE_LENGTH_ALPHA1 "1.5406"\r\n*RAS_INT_START\r\n10 5 1\r\n10.5 7 1\r\n11 100 1\r\n*RAS_INT_END\r\n*RAS_DATA_END\r\n'; } > $c/seed-ras
  { printf '\x09'; printf 'title\nBANK 1 5 5 CONST 1000.0 50.0 0 0 STD\n   5   7 100   6   5\n'; } > $c/seed-gsa
  { printf '\x0c'; printf '# id\tspace_group\tintensities\nx\t14\t1 2 3 100 3 2 1\n'; } > $c/seed-tsv
  $B/tests/fuzz/fuzz_seed_raw $c
  if [ -d "$shared/experimental" ]; then
    # head closes the pipe early: SIGPIPE upstream is expected there
    { printf '\x0c'; zcat "$shared/experimental/rruff-dev.tsv.gz" | head -4 || true; } > $c/seed-rruff
    { printf '\x00'; tar -xzOf "$shared/experimental/ssrl-synchrotron-xy.tar.gz" --wildcards '*0001.xy' 2>/dev/null |
      head -c 30000 || true; } > $c/seed-ssrl
  fi
  if [ -d "$shared/structures" ]; then
    local f
    f=$(tar -tzf "$shared/structures/iucr-rietveld-cifs.tar.gz" | grep 'wn6225Isup2' | head -1 || true)
    [ -n "$f" ] && { printf '\x0b'; tar -xzOf "$shared/structures/iucr-rietveld-cifs.tar.gz" "$f"; } > $c/seed-pdcif
  fi
}
seed_structures() { # the first byte: odd CIF, even POSCAR
  local c=$B/corpus/fuzz_structures; mkdir -p $c
  for f in tests/fixtures/*.cif examples/*.cif; do { printf '\x01'; cat "$f"; } > $c/seed-$(basename "$f"); done
  for f in examples/*.vasp; do { printf '\x00'; cat "$f"; } > $c/seed-$(basename "$f"); done
  if [ -d "$shared/structures" ]; then
    local i=0 f
    for f in $(tar -tzf "$shared/structures/cod-tools-test-cifs.tar.gz" | grep '\.cif$' | head -60); do
      i=$((i + 1)); { printf '\x01'; tar -xzOf "$shared/structures/cod-tools-test-cifs.tar.gz" "$f"; } > $c/seed-cod-$i
    done
  fi
}
seed_zip() { # the first byte: even .rasx (profile, "@@", conditions), odd .brml (RawData); tests/fuzz/fuzz_zip.c
  local c=$B/corpus/fuzz_zip; mkdir -p $c
  local i
  { printf '\x00'; for i in 0 1 2 3 4 5 6 7 8 9 10 11; do printf '10.%02d\t%d\t1\n' $((2 * i)) $((5 + i * i)); done
    printf '@@\n'
    printf '<?xml version="1.0"?>\n<MeasurementConditions>\n<HWConfigurations><XrayGenerator><TargetName>Cu</TargetName>'
    printf '<WaveType>Ka</WaveType><WavelengthKalpha1>1.540593</WavelengthKalpha1>\n<WavelengthKalpha2>1.544414'
    printf '</WavelengthKalpha2></XrayGenerator></HWConfigurations>\n<ScanInformation><AxisName>TwoThetaTheta'
    printf '</AxisName><Step>0.02</Step></ScanInformation>\n</MeasurementConditions>\n'; } > $c/seed-rasx
  { printf '\x01'; printf '<?xml version="1.0"?>\n<RawData xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    printf '<FixedInformation><Instrument><PrimaryTracks><TrackInfoData><MountedOptics><InfoData xsi:type="MountedTube">'
    printf '<Tube>\n<WaveLengthAlpha1 Value="1.5406" Unit="A" /><WaveLengthAlpha2 Value="1.54439" Unit="A" />'
    printf '<WaveLengthRatio Value="0.5" Unit="" /></Tube></InfoData></MountedOptics></TrackInfoData></PrimaryTracks>'
    printf '</Instrument></FixedInformation>\n<DataRoutes>\n<DataRoute RouteFlag="Measured">\n'
    printf '<ScanInformation ScanName="Coupled" />\n'
    for i in 0 1 2 3 4 5 6 7 8 9 10 11; do printf '<Datum>1,1,10.%02d,5.%02d,%d</Datum>\n' $((2 * i)) $i $((5 + i * i)); done
    printf '</DataRoute>\n</DataRoutes></RawData>\n'; } > $c/seed-brml
}
status=0
mkdir -p $B/crashes
for t in "${targets[@]}"; do
  case $t in fuzz_patterns) seed_patterns ;; fuzz_structures) seed_structures ;; fuzz_zip) seed_zip ;; esac
  echo "== $t: $seconds s"
  if ! $B/tests/fuzz/$t $B/corpus/$t -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix=$B/crashes/$t- -print_final_stats=1 2> $B/$t.log; then
    status=1
    echo "$t: failed, see $B/$t.log and $B/crashes/" >&2
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" $B/$t.log || true
done
exit $status
