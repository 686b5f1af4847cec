// Shared by the erosion passes (`passes::terrain::Erosion`): the grid's neighbours and the
// parameters pushed to every pass.
#pragma once

layout(push_constant) uniform Push {
    uint side;
    float dt;
    float gravity;
    float rain;          // water added to every cell a step
    float evaporation;   // share of the water lost a unit of time
    float capacity;      // sediment a unit of water carries per unit of speed and slope
    float dissolving;    // share of the missing capacity taken from the ground a step
    float deposition;    // share of the excess sediment dropped a step
    float talus;         // the steepest height difference between neighbours thermal erosion leaves
    float thermal;       // share of the excess moved a step (at most 0.25)
} push;

// Neighbours in flux order: left, right, up (y − 1), down (y + 1).
const ivec2 NEIGHBOUR[4] = ivec2[](ivec2(-1, 0), ivec2(1, 0), ivec2(0, -1), ivec2(0, 1));
// The flux component of a neighbour that points back at this cell.
const int BACK[4] = int[](1, 0, 3, 2);

bool inside(ivec2 p) {
    return all(greaterThanEqual(p, ivec2(0))) && all(lessThan(p, ivec2(push.side)));
}
