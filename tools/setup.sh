#!/usr/bin/env bash
# Installs the Debian packages this project needs (see ../shared/PLATFORM.md for why each one).
# Idempotent: when every package is already installed it changes nothing and touches no network.
set -euo pipefail

packages=(
  # Vulkan loader, lavapipe (CPU Vulkan), validation layers and vulkaninfo.
  libvulkan1 libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  # shaderc and the static glslang / SPIRV-Tools libraries it links against.
  libshaderc-dev glslang-dev spirv-tools glslc
  # A virtual X display for the windowed path, and graphviz to check DOT exports.
  xvfb graphviz
  # RenderDoc without its GUI: the capture layer and library, renderdoccmd, and the Python
  # module (for /usr/bin/python3) the capture tests open captures with.
  librenderdoc renderdoccmd python3-renderdoc
  # Build tools for crates with C parts.
  pkg-config build-essential
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
